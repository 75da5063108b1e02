"""The demo language model: a small pre-LayerNorm GPT with learned absolute position embeddings,
tied input/output embeddings and one attention normalizer per model:

* ``softmax``: w = softmax(q·kᵀ/√d_h + mask)
* ``sigmoid``: w = sigmoid(q·kᵀ/√d_h + mask), no bias, no normalizer (Gu et al. §1.3 row 2).

The causal mask is additive (0 on visible keys, float32 min on hidden ones), so a hidden key's
sigmoid weight is exactly 0 and its softmax weight exactly 0 as well.

Training uses a fast path (PyTorch SDPA for softmax; for sigmoid, sigmoid(q·kᵀ/√d_h) times the
0/1 causal pattern, the same weights with no float32 T×T mask tensor); ``exportable=True`` switches
every core to the explicit unfused form MatMul(Q, Kᵀ) → Mul(scale) → Add(mask) → Softmax|Sigmoid →
MatMul(·, V) that the AttnScope detector finds in a TorchScript opset-17 export, with the mask
computed from T in the graph (no ctx × ctx constant in the file).
"""
from dataclasses import asdict, dataclass
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab: int = 4096
    ctx: int = 1024  # learned positions: the exported model's position limit
    d_model: int = 256
    layers: int = 4
    heads: int = 4
    ffn: int = 640
    normalizer: str = "softmax"  # or "sigmoid"
    # Initial logit offset: q and k biases start as +a·u_h and −a·u_h (u_h a unit vector per
    # head, a² = offset·√d_h), so every q·kᵀ/√d_h starts near −offset. Softmax is invariant to
    # an offset shared by a row; unnormalized sigmoid starts with Σw ≈ 1 over the context
    # (sigmoid(−ln 256) · 256 ≈ 1) instead of 128, as the b = −ln n of Ramapuram et al. would
    # give, while its weight function keeps b = 0. The biases are trained (no weight decay).
    logit_offset: float = 5.5

    def as_dict(self):
        return asdict(self)


class Attention(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.head_dim = cfg.d_model // cfg.heads
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)

    def forward(self, x, mask, exportable: bool, keep_weights: bool):
        b, t, d = x.shape
        h, dh = self.cfg.heads, self.head_dim
        q, k, v = self.qkv(x).split(d, dim=2)
        q = q.view(b, t, h, dh).transpose(1, 2)
        k = k.view(b, t, h, dh).transpose(1, 2)
        v = v.view(b, t, h, dh).transpose(1, 2)
        weights = None
        if self.cfg.normalizer == "softmax" and not exportable and not keep_weights:
            o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        elif self.cfg.normalizer == "sigmoid" and not exportable and not keep_weights:
            # sigmoid(s + mask) is sigmoid(s) on visible keys and exactly 0 on hidden ones.
            w = torch.sigmoid(torch.matmul(q * (1.0 / math.sqrt(dh)), k.transpose(-2, -1)))
            o = torch.matmul(w * (mask == 0).to(w.dtype), v)
        else:
            scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(dh))
            scores = scores + mask
            if self.cfg.normalizer == "softmax":
                w = torch.softmax(scores, dim=-1)
            elif self.cfg.normalizer == "sigmoid":
                w = torch.sigmoid(scores)
            else:
                raise ValueError(f"unknown normalizer {self.cfg.normalizer!r}: use softmax or sigmoid")
            o = torch.matmul(w, v)
            weights = w if keep_weights else None
        o = o.transpose(1, 2).reshape(b, t, d)
        return self.proj(o), weights


class Block(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = Attention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.up = nn.Linear(cfg.d_model, cfg.ffn)
        self.down = nn.Linear(cfg.ffn, cfg.d_model)

    def forward(self, x, mask, exportable: bool, keep_weights: bool):
        a, w = self.attn(self.ln1(x), mask, exportable, keep_weights)
        x = x + a
        x = x + self.down(F.gelu(self.up(self.ln2(x))))
        return x, w


class DemoLM(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab, cfg.d_model)
        self.wpe = nn.Embedding(cfg.ctx, cfg.d_model)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.layers)])
        self.ln_f = nn.LayerNorm(cfg.d_model)
        hidden = torch.full((cfg.ctx, cfg.ctx), torch.finfo(torch.float32).min).triu(1)
        self.register_buffer("causal_mask", hidden, persistent=False)
        self.apply(self._init)
        dh = cfg.d_model // cfg.heads
        a = math.sqrt(cfg.logit_offset * math.sqrt(dh))
        for blk in self.blocks:  # GPT-2 scaled init of the residual projections
            nn.init.normal_(blk.attn.proj.weight, std=0.02 / math.sqrt(2 * cfg.layers))
            nn.init.normal_(blk.down.weight, std=0.02 / math.sqrt(2 * cfg.layers))
            if cfg.logit_offset:
                u = torch.randn(cfg.heads, dh)
                u = (u / u.norm(dim=1, keepdim=True)).reshape(-1)
                with torch.no_grad():
                    blk.attn.qkv.bias[: cfg.d_model] = a * u
                    blk.attn.qkv.bias[cfg.d_model: 2 * cfg.d_model] = -a * u

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def hidden(self, ids, exportable=False, keep_weights=False):
        t = ids.shape[1]
        x = self.wte(ids) + self.wpe.weight[:t].unsqueeze(0)
        mask = self.causal_mask[:t, :t]
        maps = []
        for blk in self.blocks:
            x, w = blk(x, mask, exportable, keep_weights)
            maps.append(w)
        return self.ln_f(x), maps

    def forward(self, ids, keep_weights=False):
        x, maps = self.hidden(ids, keep_weights=keep_weights)
        return F.linear(x, self.wte.weight), maps


class ExportWrapper(nn.Module):
    """input_ids [1, T] int64 → logits [1, T, vocab] in the unfused attention form.

    The tied embedding is held once, as [d_model, vocab]: the lookup is a Gather on axis 1 and the
    output projection a MatMul, so the exported file carries one copy of the matrix (a transposed
    view would be constant-folded into a second initializer).
    """

    def __init__(self, lm: DemoLM):
        super().__init__()
        self.lm = lm
        self.embed_t = nn.Parameter(lm.wte.weight.detach().t().contiguous())

    def forward(self, input_ids):
        lm = self.lm
        t = input_ids.shape[1]
        tok = torch.index_select(self.embed_t, 1, input_ids.reshape(-1)).t().unsqueeze(0)
        x = tok + lm.wpe.weight[:t].unsqueeze(0)
        pos = torch.arange(t, device=input_ids.device)
        hidden = pos.unsqueeze(0) > pos.unsqueeze(1)  # key after query
        mask = torch.where(hidden, torch.tensor(torch.finfo(torch.float32).min), torch.tensor(0.0))
        for blk in lm.blocks:
            x, _ = blk(x, mask, True, False)
        return torch.matmul(lm.ln_f(x), self.embed_t)
