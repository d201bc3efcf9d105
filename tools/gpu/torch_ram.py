"""RAM's (and RAM++'s) forward pass in PyTorch on any device: tools/bench/forward_reference.py's torch forward (the same
operations: F.linear / layer_norm / gelu / softmax, torch.roll, the reshape window partition, RAM's head
batched over images), with its constants (relative-position bias, shift mask) made on the weights' device,
so that it runs on CUDA, in fp32 or under bf16 autocast. The device check's PyTorch side.
"""
import math

import numpy as np

import reference_numpy as ref


def forward_fn(torch):
    F = torch.nn.functional
    cache = {}

    def lin(x, sd, p, bias=True):
        return F.linear(x, sd[p + ".weight"], sd[p + ".bias"] if bias else None)

    def ln(x, sd, p, eps):
        return F.layer_norm(x, x.shape[-1:], sd[p + ".weight"], sd[p + ".bias"], eps)

    def partition(x, ws):
        B, H, W, C = x.shape
        return x.view(B, H // ws, ws, W // ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws, C)

    def reverse(w, ws, H, W):
        B = w.shape[0] // ((H // ws) * (W // ws))
        return w.view(B, H // ws, W // ws, ws, ws, -1).permute(0, 1, 3, 2, 4, 5).reshape(B, H, W, -1)

    def block_consts(res, ws, shift, table):
        key = (res, ws, shift, table.data_ptr())
        if key not in cache:
            idx = torch.from_numpy(ref.relative_position_index(ws).reshape(-1)).to(table.device)
            n = ws * ws
            bias = table[idx].view(n, n, -1).permute(2, 0, 1).contiguous()
            mask = None
            if shift:
                mask = torch.from_numpy(ref.shifted_window_mask(res, res, ws, shift)).float().to(table.device)
            cache[key] = (bias, mask)
        return cache[key]

    def block(x, sd, p, res, heads, ws, shift):
        B, L, C = x.shape
        hd = C // heads
        h = ln(x, sd, p + ".norm1", 1e-5).view(B, res, res, C)
        if shift:
            h = torch.roll(h, (-shift, -shift), (1, 2))
        w = partition(h, ws)
        Bw, N, _ = w.shape
        qkv = lin(w, sd, p + ".attn.qkv").view(Bw, N, 3, heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * hd ** -0.5, qkv[1], qkv[2]
        bias, mask = block_consts(res, ws, shift, sd[p + ".attn.relative_position_bias_table"])
        a = q @ k.transpose(-2, -1) + bias.unsqueeze(0)
        if mask is not None:
            nW = mask.shape[0]
            a = (a.view(Bw // nW, nW, heads, N, N) + mask.unsqueeze(1).unsqueeze(0)).view(-1, heads, N, N)
        a = (a.softmax(-1) @ v).transpose(1, 2).reshape(Bw, N, C)
        h = reverse(lin(a, sd, p + ".attn.proj"), ws, res, res)
        if shift:
            h = torch.roll(h, (shift, shift), (1, 2))
        x = x + h.reshape(B, L, C)
        return x + lin(F.gelu(lin(ln(x, sd, p + ".norm2", 1e-5), sd, p + ".mlp.fc1")), sd, p + ".mlp.fc2")

    def forward(sd, cfg, images, tags=None):
        """(image_embeds [B, L + 1, E], probabilities [B, tags]); `tags` (a LongTensor) limits the head to
        those tags, as the extraction's ID-tags pass does."""
        p = cfg["patch_size"]
        x = F.conv2d(images, sd["visual_encoder.patch_embed.proj.weight"], sd["visual_encoder.patch_embed.proj.bias"],
                     stride=p)
        B, C, R, _ = x.shape
        x = ln(x.flatten(2).transpose(1, 2), sd, "visual_encoder.patch_embed.norm", 1e-5)
        res = R
        for i, (depth, heads) in enumerate(zip(cfg["depths"], cfg["num_heads"])):
            ws, sh = (cfg["window_size"], cfg["window_size"] // 2) if res > cfg["window_size"] else (res, 0)
            for j in range(depth):
                x = block(x, sd, f"visual_encoder.layers.{i}.blocks.{j}", res, heads, ws, sh if j % 2 else 0)
            if i < len(cfg["depths"]) - 1:
                Bx, L, Cx = x.shape
                g = x.view(Bx, res, res, Cx)
                g = torch.cat([g[:, 0::2, 0::2], g[:, 1::2, 0::2], g[:, 0::2, 1::2], g[:, 1::2, 1::2]], -1)
                g = g.view(Bx, -1, 4 * Cx)
                x = lin(ln(g, sd, f"visual_encoder.layers.{i}.downsample.norm", 1e-5), sd,
                        f"visual_encoder.layers.{i}.downsample.reduction", bias=False)
                res //= 2
        x = ln(x, sd, "visual_encoder.norm", 1e-5)
        emb = lin(torch.cat([x.mean(1, keepdim=True), x], 1), sd, "image_proj")
        heads, D = cfg["num_attention_heads"], cfg["hidden_size"]
        hd = D // heads
        if "reweight_scale" in sd:
            # RAM++ (ram_plus.py's generate_tag): each tag's descriptions mixed per image by the softmax of
            # exp(reweight_scale) · cls · descriptionᵀ, then relu(wordvec_proj(·)); only the asked tags.
            labels = sd["label_embed"]
            dd = labels.shape[0] // cfg["num_tags"]
            labels = labels.view(cfg["num_tags"], dd, -1)
            if tags is not None:
                labels = labels[tags]
            cls = F.normalize(emb[:, 0, :], dim=-1)
            logits = torch.exp(sd["reweight_scale"]) * (cls @ labels.reshape(-1, labels.shape[-1]).t())
            weights = logits.view(B, labels.shape[0], dd).softmax(-1)
            mixed = torch.einsum("btd,tde->bte", weights, labels.to(weights.dtype))
            h = F.relu(lin(mixed, sd, "wordvec_proj"))
        else:
            queries = F.relu(lin(sd["label_embed"], sd, "wordvec_proj"))
            if tags is not None:
                queries = queries[tags]
            h = queries.unsqueeze(0).expand(B, -1, -1)
        T = h.shape[1]
        for l in range(cfg["num_hidden_layers"]):
            pre = f"tagging_head.encoder.layer.{l}"
            q = lin(h, sd, pre + ".crossattention.self.query").view(B, T, heads, hd).transpose(1, 2)
            k = lin(emb, sd, pre + ".crossattention.self.key").view(B, -1, heads, hd).transpose(1, 2)
            v = lin(emb, sd, pre + ".crossattention.self.value").view(B, -1, heads, hd).transpose(1, 2)
            probs = (q @ k.transpose(-2, -1) / math.sqrt(hd)).softmax(-1)
            ctx = (probs @ v).transpose(1, 2).reshape(B, T, D)
            a = ln(lin(ctx, sd, pre + ".crossattention.output.dense") + h, sd, pre + ".crossattention.output.LayerNorm",
                   1e-12)
            h = ln(lin(F.gelu(lin(a, sd, pre + ".intermediate.dense")), sd, pre + ".output.dense") + a, sd,
                   pre + ".output.LayerNorm", 1e-12)
        return emb, torch.sigmoid(lin(h, sd, "fc")[..., 0])

    return forward


def state_dict(torch, weights, device):
    """The NumPy weights as torch tensors on `device`."""
    return {name: torch.from_numpy(np.ascontiguousarray(v)).to(device) for name, v in weights.items()}
