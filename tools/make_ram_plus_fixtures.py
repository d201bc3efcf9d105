#!/usr/bin/env python3
"""Writes the RAM++ parity fixtures of Tests/ModelTests/Fixtures from recognize-anything's own modules.

RAM++ (ram/models/ram_plus.py) is RAM with per-image tag queries: each tag has 51 rows of `label_embed`,
mixed per image by the softmax of exp(reweight_scale) * cls . rows^T (cls: the image's L2-normalised pooled
embedding). The reference here is recognize-anything's code run as it is: its SwinTransformer
(ram/models/swin_transformer.py), its BertModel tagging head with the self-attention deleted
(ram/models/bert.py, RAM_plus.del_selfattention), and the reweighting lines of RAM_plus.generate_tag
(ram_plus.py, repeated below step for step, as the TagOOD authors' forward_ram_plus repeats them; the class
itself cannot be built offline: its __init__ downloads BERT's tokenizer).

The weights: every tensor but `label_embed` is drawn here with O(1) activations (make_model_fixtures.py's
random_weights) and committed; `label_embed`, the full 4585 x 51 tag embedding (too large to commit), is
tagood's deterministic random `label_embed` for the config (`tagood model init --config test_ram_plus.json
--seed 7`) times LABEL_SCALE, which ModelTests regenerates the same way (checking the weights' canonical
hash, stored here):

  test_ram_plus.json            a small Swin (test_shift's) with the full RAM++ tag embedding: 4585 tags x 51
  test_ram_plus.safetensors     every parameter but label_embed (reweight_scale is REWEIGHT_SCALE, not the
                                initial log(1/0.07), so that reading it is tested)
  test_ram_plus-io.safetensors  images [N,3,96,96] (f16-exact), image_embeds [N,L+1,E], probs [N,4585],
                                attn_tags [k] (as F32) and attn0 [N,heads,k,L+1] (layer 0's cross-attention)
                                metadata: weights_hash, seed, label_scale

Needs: a checkout of https://github.com/xinyu1205/recognize-anything (tested at 7cb804a), PyTorch,
transformers 4.x (bert.py imports apply_chunking_to_forward from transformers.modeling_utils, gone in 5.x),
timm, numpy, safetensors, and a built tagood.

Usage: python3 tools/make_ram_plus_fixtures.py --recognize-anything DIR [--tagood .build/debug/tagood]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import types

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.numpy import save_file
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "Tests", "ModelTests", "Fixtures")
CONFIG = dict(name="test_ram_plus", image_res=96, embed_dim=8, depths=[2, 2, 2, 2], num_heads=[1, 2, 2, 4],
              window_size=6, hidden_size=32, num_attention_heads=4, num_hidden_layers=2, intermediate_size=64,
              encoder_width=24, num_tags=4585, tagger="ram_plus", descriptions_per_tag=51)
SEED = 7
LABEL_SCALE = 50.0
REWEIGHT_SCALE = 2.3
BATCH = 3
ATTN_TAGS = [0, 17, 718, 2048, 4584]


def stub_timm_layers():
    """swin_transformer.py imports DropPath, to_2tuple and trunc_normal_ from timm.models.layers; when timm
    (which needs a torchvision matching the installed PyTorch) is missing, these stand in: in eval mode DropPath
    is the identity, and trunc_normal_ only initialises weights that the state dict then replaces."""
    try:
        import timm.models.layers  # noqa: F401
        return
    except Exception:
        pass

    class DropPath(torch.nn.Module):
        def __init__(self, drop_prob=None):
            super().__init__()

        def forward(self, x):
            return x

    layers = types.ModuleType("timm.models.layers")
    layers.DropPath = DropPath
    layers.to_2tuple = lambda x: tuple(x) if isinstance(x, (tuple, list)) else (x, x)
    layers.trunc_normal_ = lambda tensor, std=1.0, **_: torch.nn.init.normal_(tensor, std=std)
    import importlib.machinery
    for name in ("timm", "timm.models"):
        module = types.ModuleType(name)
        module.__spec__ = importlib.machinery.ModuleSpec(name, None)
        sys.modules[name] = module
    layers.__spec__ = importlib.machinery.ModuleSpec("timm.models.layers", None)
    sys.modules["timm.models.layers"] = layers


def import_ram_modules(root):
    """recognize-anything's ram.models.swin_transformer and ram.models.bert, without the package __init__
    (which imports every model and the tokenizer's downloader)."""
    stub_timm_layers()
    ram = types.ModuleType("ram")
    ram.__path__ = [os.path.join(root, "ram")]
    models = types.ModuleType("ram.models")
    models.__path__ = [os.path.join(root, "ram", "models")]
    sys.modules["ram"], sys.modules["ram.models"] = ram, models
    import ram.models.bert as bert
    import ram.models.swin_transformer as swin
    return swin, bert


def build(swin, bert, cfg, sd):
    """The RAM++ modules of ram_plus.py's __init__, loaded with the state dict `sd`."""
    visual = swin.SwinTransformer(
        img_size=cfg["image_res"], patch_size=4, in_chans=3, embed_dim=cfg["embed_dim"], depths=cfg["depths"],
        num_heads=cfg["num_heads"], window_size=cfg["window_size"], mlp_ratio=4., qkv_bias=True, drop_rate=0.0,
        drop_path_rate=0.1, ape=False, patch_norm=True, use_checkpoint=False)
    q2l = bert.BertConfig(
        hidden_size=cfg["hidden_size"], num_attention_heads=cfg["num_attention_heads"],
        num_hidden_layers=cfg["num_hidden_layers"], intermediate_size=cfg["intermediate_size"],
        hidden_act="gelu", layer_norm_eps=1e-12, vocab_size=30522, max_position_embeddings=512,
        type_vocab_size=2, pad_token_id=0, attention_probs_dropout_prob=0.1, hidden_dropout_prob=0.1)
    q2l.encoder_width = cfg["encoder_width"]
    q2l.add_cross_attention = True
    q2l.add_tag_cross_attention = False
    head = bert.BertModel(config=q2l, add_pooling_layer=False)
    # RAM_plus.del_selfattention
    del head.embeddings
    for layer in head.encoder.layer:
        del layer.attention
    width = cfg["embed_dim"] * 2 ** (len(cfg["depths"]) - 1)
    model = torch.nn.Module()
    model.visual_encoder = visual
    model.tagging_head = head
    model.image_proj = torch.nn.Linear(width, cfg["encoder_width"])
    model.wordvec_proj = torch.nn.Linear(cfg["encoder_width"], cfg["hidden_size"])
    model.fc = torch.nn.Linear(cfg["hidden_size"], 1)
    model.label_embed = torch.nn.Parameter(torch.zeros(cfg["num_tags"] * cfg["descriptions_per_tag"],
                                                       cfg["encoder_width"]))
    model.reweight_scale = torch.nn.Parameter(torch.ones([]))
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [m for m in missing if not m.endswith(("relative_position_index", "attn_mask"))]
    assert not missing and not unexpected, (missing, unexpected)
    model.num_class = cfg["num_tags"]
    return model.eval()


@torch.no_grad()
def forward(model, images):
    """RAM_plus.generate_tag up to the logits, plus layer 0's cross-attention (output_attentions)."""
    image_embeds = model.image_proj(model.visual_encoder(images))
    image_atts = torch.ones(image_embeds.size()[:-1], dtype=torch.long)
    image_cls_embeds = image_embeds[:, 0, :]
    bs = image_embeds.shape[0]
    des_per_class = int(model.label_embed.shape[0] / model.num_class)
    image_cls_embeds = image_cls_embeds / image_cls_embeds.norm(dim=-1, keepdim=True)
    reweight_scale = model.reweight_scale.exp()
    logits_per_image = (reweight_scale * image_cls_embeds @ model.label_embed.t())
    logits_per_image = logits_per_image.view(bs, -1, des_per_class)
    weight_normalized = F.softmax(logits_per_image, dim=2)
    width = model.label_embed.shape[1]
    label_embed_reweight = torch.empty(bs, model.num_class, width)
    for i in range(bs):
        reshaped_value = model.label_embed.view(-1, des_per_class, width)
        product = weight_normalized[i].unsqueeze(-1) * reshaped_value
        label_embed_reweight[i] = product.sum(dim=1)
    label_embed = torch.nn.functional.relu(model.wordvec_proj(label_embed_reweight))
    tagging_embed = model.tagging_head(
        encoder_embeds=label_embed, encoder_hidden_states=image_embeds, encoder_attention_mask=image_atts,
        return_dict=False, mode='tagging', output_attentions=True)
    probs = torch.sigmoid(model.fc(tagging_embed[0]).squeeze(-1))
    # (sequence, pooled None, each layer's attention probabilities: in 'tagging' mode the cross-attention's,
    # as the authors' forward_ram_plus reads them from tagging_embed[2], and an empty cross-attention tuple).
    assert len(tagging_embed[2]) == len(model.tagging_head.encoder.layer), [type(t) for t in tagging_embed]
    return image_embeds, probs, tagging_embed[2][0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recognize-anything", required=True, help="a checkout of xinyu1205/recognize-anything")
    parser.add_argument("--tagood", default=os.path.join(HERE, "..", ".build", "debug", "tagood"))
    parser.add_argument("--out", default=FIXTURES)
    args = parser.parse_args()
    torch.manual_seed(0)
    swin, bert = import_ram_modules(args.recognize_anything)
    config_path = os.path.join(args.out, "test_ram_plus.json")
    with open(config_path, "w") as f:
        json.dump(CONFIG, f, indent=2, sort_keys=True)
        f.write("\n")
    with tempfile.TemporaryDirectory() as tmp:
        weights = os.path.join(tmp, "w.safetensors")
        subprocess.run([args.tagood, "model", "init", "--config", config_path, "--seed", str(SEED), "-o", weights],
                       check=True, capture_output=True, text=True)
        label_embed = load_file(weights)["label_embed"].numpy() * np.float32(LABEL_SCALE)
    sys.path.insert(0, HERE)
    import make_model_fixtures as mmf
    import ram_reference
    cfg = ram_reference.complete({k: v for k, v in CONFIG.items() if k not in ("tagger", "descriptions_per_tag")})
    others = mmf.random_weights(cfg, 11)
    del others["label_embed"]
    others["reweight_scale"] = np.array(REWEIGHT_SCALE, dtype=np.float32)
    save_file(others, os.path.join(args.out, "test_ram_plus.safetensors"))
    sd = {name: torch.from_numpy(np.array(v, dtype=np.float32)) for name, v in others.items()}
    sd["label_embed"] = torch.from_numpy(label_embed)
    model = build(swin, bert, CONFIG, sd)
    with tempfile.TemporaryDirectory() as tmp:
        # The whole weight set through tagood, for its canonical hash (what ModelTests rebuilds).
        whole = os.path.join(tmp, "whole.safetensors")
        save_file({k: v.numpy() for k, v in sd.items()}, whole, metadata={"tagood_config": json.dumps(CONFIG)})
        info = subprocess.run([args.tagood, "model", "info", whole, "--config", config_path], capture_output=True,
                              text=True).stdout
        hashes = [line.split()[2] for line in info.splitlines() if line.startswith("weights hash")]
        assert hashes, info
        weights_hash = hashes[0]
    rng = np.random.default_rng(3)
    images = rng.uniform(-2, 2, size=(BATCH, 3, CONFIG["image_res"], CONFIG["image_res"]))
    images = images.astype(np.float16).astype(np.float32)
    embeds, probs, attn0 = forward(model, torch.from_numpy(images))
    # The attention of a few tags only (the whole [N, 4, 4585, L+1] would be megabytes).
    attn0 = attn0[:, :, ATTN_TAGS, :]
    save_file({
        "images": images.astype(np.float16),
        "image_embeds": embeds.numpy().astype(np.float32),
        "probs": probs.numpy().astype(np.float32),
        "attn_tags": np.array(ATTN_TAGS, dtype=np.float32),
        "attn0": attn0.numpy().astype(np.float32),
    }, os.path.join(args.out, "test_ram_plus-io.safetensors"),
        metadata={"weights_hash": weights_hash, "seed": str(SEED), "label_scale": str(LABEL_SCALE),
                  "reference": "recognize-anything 7cb804a"})
    print(f"wrote {config_path} and test_ram_plus-io.safetensors (weights hash {weights_hash}); "
          f"probs range {probs.min():.4f}..{probs.max():.4f}")


if __name__ == "__main__":
    main()
