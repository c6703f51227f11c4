#!/usr/bin/python3
"""Move weights between recur and PyTorch through a .npz (the walk-through is docs/pytorch_interop.md).

    /usr/bin/python3 docs/snippets/interop.py recur_model.npz torch_model.npz [check.npz]

1. recur -> PyTorch: loads recur_model.npz, written by recur::nn::save, into a torch.nn model of
   the same architecture.
2. PyTorch -> recur: writes torch_model.npz from a freshly initialised PyTorch model, for
   recur::nn::load.
3. With a third path, writes a fixed input and both models' outputs there, so that the C++ side
   can check it computes the same numbers (tests/layers/serialize_interop_test.cpp does).
"""
import sys

import numpy as np
import torch


def build_model():
    # recur's nn::Sequential of Linear(4, 8), Tanh, Linear(8, 3) has exactly these parameter
    # names and shapes: 0.weight [8, 4], 0.bias [8], 2.weight [3, 8], 2.bias [3].
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))


# [recur to torch]
def load_npz_into(model, path):
    """recur -> PyTorch: every entry is a float32 array named like a state_dict key."""
    with np.load(path) as archive:
        state = {name: torch.from_numpy(archive[name]) for name in archive.files}
    model.load_state_dict(state)  # strict: a missing, extra or misshapen entry raises
# [recur to torch]


# [torch to recur]
def save_npz_from(model, path):
    """PyTorch -> recur: the state_dict as float32 NumPy arrays under the same names."""
    arrays = {name: tensor.detach().cpu().numpy().astype(np.float32)
              for name, tensor in model.state_dict().items()}
    np.savez(path, **arrays)
# [torch to recur]


def main(recur_path, torch_path, check_path=None):
    from_recur = build_model()
    load_npz_into(from_recur, recur_path)

    torch.manual_seed(0)
    from_torch = build_model()
    save_npz_from(from_torch, torch_path)

    if check_path:
        x = torch.linspace(-1.0, 1.0, 20).reshape(5, 4)
        with torch.no_grad():
            np.savez(check_path, x=x.numpy(),
                     recur_output=from_recur(x).numpy(), torch_output=from_torch(x).numpy())
    print(f"loaded {recur_path} into PyTorch, wrote {torch_path}")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    main(*sys.argv[1:])
