"""NumPy references for the kernel-level checks of libtagood_cuda (tools/gpu/check.py), written the way
Swin's and RAM's PyTorch modules are (np.roll for the shift, reshape/transpose window partition, the
slice-labelled mask, torch.cat's merge order), not from the library's index header. float64 unless said.
NumPy only: no scipy, no torch.
"""
import numpy as np


def layer_norm(x, g, b, eps=1e-5):
    x = x.astype(np.float64)
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def softmax(x):
    x = x - x.max(-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(-1, keepdims=True)


def window_partition(x, ws):
    """[B, H, W, C] -> [B·nW, ws·ws, C]."""
    B, H, W, C = x.shape
    x = x.reshape(B, H // ws, ws, W // ws, ws, C)
    return x.transpose(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws, C)


def window_reverse(windows, ws, H, W):
    B = windows.shape[0] // ((H // ws) * (W // ws))
    x = windows.reshape(B, H // ws, W // ws, ws, ws, -1)
    return x.transpose(0, 1, 3, 2, 4, 5).reshape(B, H, W, -1)


def relative_position_index(ws):
    coords = np.stack(np.meshgrid(np.arange(ws), np.arange(ws), indexing="ij")).reshape(2, -1)
    rel = (coords[:, :, None] - coords[:, None, :]).transpose(1, 2, 0).copy()
    rel[:, :, 0] += ws - 1
    rel[:, :, 1] += ws - 1
    rel[:, :, 0] *= 2 * ws - 1
    return rel.sum(-1)


def shifted_window_mask(H, W, ws, shift):
    img = np.zeros((1, H, W, 1))
    cnt = 0
    for hs in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
        for wsl in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
            img[:, hs, wsl, :] = cnt
            cnt += 1
    mw = window_partition(img, ws).reshape(-1, ws * ws)
    m = mw[:, None, :] - mw[:, :, None]
    return np.where(m != 0, -100.0, 0.0)


def window_layer_norm(x, g, b, grid, ws, shift):
    """LN, then the roll by -shift and the window partition: x [B·grid², C] -> [B·grid², C] windowed."""
    C = x.shape[-1]
    y = layer_norm(x, g, b).reshape(-1, grid, grid, C)
    if shift:
        y = np.roll(y, (-shift, -shift), (1, 2))
    return window_partition(y, ws).reshape(-1, C)


def window_attention(qkv, qkv_bias, table, grid, heads, ws, shift):
    """qkv [B·grid², 3C] in window order (before the bias) -> the attention output [B·grid², C] (before proj)."""
    C = qkv.shape[-1] // 3
    hd = C // heads
    n = ws * ws
    x = (qkv.astype(np.float64) + qkv_bias).reshape(-1, n, 3, heads, hd).transpose(2, 0, 3, 1, 4)
    q, k, v = x[0] * hd ** -0.5, x[1], x[2]
    bias = table.astype(np.float64)[relative_position_index(ws).reshape(-1)].reshape(n, n, heads).transpose(2, 0, 1)
    a = q @ k.transpose(0, 1, 3, 2) + bias[None]
    if shift:
        mask = shifted_window_mask(grid, grid, ws, shift)
        nw = mask.shape[0]
        a = (a.reshape(-1, nw, heads, n, n) + mask[None, :, None]).reshape(-1, heads, n, n)
    out = softmax(a) @ v
    return out.transpose(0, 2, 1, 3).reshape(-1, C)


def window_scatter_add(y, bias, x, grid, ws, shift):
    """The window reverse and un-shift of y (window order), + bias, added to x (grid order)."""
    C = x.shape[-1]
    h = window_reverse(y.astype(np.float64).reshape(-1, ws * ws, C), ws, grid, grid)
    if shift:
        h = np.roll(h, (shift, shift), (1, 2))
    return x.astype(np.float64) + bias + h.reshape(-1, C)


def merge_layer_norm(x, g, b, grid):
    C = x.shape[-1]
    v = x.astype(np.float64).reshape(-1, grid, grid, C)
    cat = np.concatenate([v[:, 0::2, 0::2], v[:, 1::2, 0::2], v[:, 0::2, 1::2], v[:, 1::2, 1::2]], -1)
    return layer_norm(cat.reshape(-1, 4 * C), g, b)


def patch_rows(images, patch):
    """[B, C, R, R] -> [B·(R/p)², C·p²] (the convolution's input rows, columns (c, kh, kw))."""
    B, C, R, _ = images.shape
    r0 = R // patch
    x = images.reshape(B, C, r0, patch, r0, patch).transpose(0, 2, 4, 1, 3, 5)
    return x.reshape(B * r0 * r0, C * patch * patch)


def head_attention(q, k, heads):
    """Layer 0's attention: q [columns, D] shared, k [images, L1, D] -> [images, heads, columns, L1]."""
    cols, d = q.shape
    hd = d // heads
    qh = q.astype(np.float64).reshape(cols, heads, hd).transpose(1, 0, 2)
    kh = k.astype(np.float64).reshape(k.shape[0], k.shape[1], heads, hd).transpose(0, 2, 1, 3)
    return softmax(qh[None] @ kh.transpose(0, 1, 3, 2) / np.sqrt(hd))


def reweighted_queries(cls_source, label_embed, descriptions, wordvec_w, wordvec_b, query_w, query_b, reweight_scale,
                       tags):
    """RAM++'s per-image tag queries as ram_plus.py's generate_tag builds them: cls = the L2-normalised row 0
    [images, E]; logits = exp(reweight_scale) · cls · label_embedᵀ reshaped [images, tags, descriptions], softmax
    over the descriptions, the weighted sum of each tag's rows, relu(wordvec_proj(·)); and layer 0's query
    projection of that. Returns (x, q0), each [images, len(tags), D]."""
    cls = cls_source.astype(np.float64)
    cls = cls / np.linalg.norm(cls, axis=-1, keepdims=True)
    e = label_embed.shape[-1]
    rows = label_embed.astype(np.float64).reshape(-1, descriptions, e)[tags]  # [t, dd, E]
    weights = softmax(np.exp(np.float64(reweight_scale)) * np.einsum("ie,tde->itd", cls, rows))
    mixed = np.einsum("itd,tde->ite", weights, rows)
    x = np.maximum(mixed @ wordvec_w.astype(np.float64).T + wordvec_b, 0)
    return x, x @ query_w.astype(np.float64).T + query_b


def select_tokens(attention, chosen, threshold):
    """TokenSelector.selectTokens in float32, in its order (so the same inputs give the same floats):
    attention [heads, columns, tokens] of one image -> (combined [tokens], kept indices)."""
    heads, _, tokens = attention.shape
    combined = np.zeros(tokens, dtype=np.float32)
    if len(chosen) == 0:
        return combined, np.zeros(0, dtype=np.int64)
    for t, c in enumerate(chosen):
        row = np.zeros(tokens, dtype=np.float32)
        for h in range(heads):
            row = (row + attention[h, c]).astype(np.float32)
        lo, hi = row.min(), row.max()
        rng = np.float32(hi - lo)
        norm = ((row - lo) / rng).astype(np.float32) if rng > 0 else np.zeros(tokens, dtype=np.float32)
        combined = norm if t == 0 else np.maximum(combined, norm)
    return combined, np.nonzero(combined > np.float32(threshold))[0]


def relative_error(got, want):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    denominator = np.linalg.norm(want)
    return float(np.linalg.norm(got - want) / (denominator if denominator > 0 else 1.0))
