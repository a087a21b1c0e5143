"""Writes clip_norm_torch.json: torch.nn.utils.clip_grad_norm_ on gradients drawn by torch.randn.

Run once with PyTorch (2.15 wrote the file in the repository), one thread:
    python crates/optim/tests/data/clip_norm_torch.py
Each case draws torch.randn(24) after torch.manual_seed(seed), splits it into parameters of
3, 5 and 16 entries, clips them (all together, or each in a call of its own when global is
false) and keeps the clipped gradients as float.hex().
"""
import json

import torch

torch.set_num_threads(1)
SIZES = [3, 5, 16]
cases = []
for dtype, name in ((torch.float32, "f32"), (torch.float64, "f64")):
    for seed, max_norm, together in (
        (1, 1.0, True), (2, 2.5, True), (5, 100.0, True), (3, 2.0, False), (4, 0.3, False),
    ):
        torch.manual_seed(seed)
        x = torch.randn(sum(SIZES), dtype=dtype)
        params, o = [], 0
        for n in SIZES:
            p = torch.zeros(n, dtype=dtype, requires_grad=True)
            p.grad = x[o : o + n].clone()
            o += n
            params.append(p)
        if together:
            torch.nn.utils.clip_grad_norm_(params, max_norm)
        else:
            for p in params:
                torch.nn.utils.clip_grad_norm_([p], max_norm)
        cases.append({
            "dtype": name, "seed": seed, "sizes": SIZES, "max_norm": max_norm, "global": together,
            "clipped": [[v.hex() for v in p.grad.tolist()] for p in params],
        })
lines = ",\n".join("  " + json.dumps(c) for c in cases)
with open(__file__.replace(".py", ".json"), "w") as f:
    f.write('{"torch": "%s", "cases": [\n%s\n]}\n' % (torch.__version__, lines))
