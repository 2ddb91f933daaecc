"""Where the networks run: "auto" (CUDA when PyTorch sees a GPU, else CPU), "cpu", "cuda" or "cuda:N".
Shared by engine choice (`select`) and the engines themselves, which is why it is its own module."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tryon.pipeline.contract import TryOnError

if TYPE_CHECKING:
    import torch

DEVICE_AUTO = "auto"
DEVICE_CHOICES = (DEVICE_AUTO, "cpu", "cuda")


def resolve_device(device: str | torch.device = DEVICE_AUTO) -> torch.device:
    """Turn "auto" into CUDA when available, else CPU; anything else as torch.device understands it."""
    import torch

    if isinstance(device, str) and device == DEVICE_AUTO:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def resolve_engine_device(device: str) -> torch.device:
    """`device` as given by an operator ("auto", "cpu", "cuda", "cuda:N"); asking for CUDA on a machine
    without it is a `TryOnError` that says what to do."""
    import torch

    if device not in DEVICE_CHOICES and not device.startswith("cuda:"):
        raise TryOnError(f"Unknown try-on device {device!r}; use one of {', '.join(DEVICE_CHOICES)}.")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise TryOnError(
            f"The try-on device is set to {device!r} but PyTorch sees no CUDA GPU here; "
            "set REVETIR_TRYON_DEVICE (or --device) to 'auto' or 'cpu'."
        )
    return resolve_device(device)
