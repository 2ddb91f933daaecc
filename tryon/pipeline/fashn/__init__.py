"""FASHN VTON v1.5 (FASHN AI, 2026; github.com/fashn-AI/fashn-vton-1.5): canvas and pose image (no Django)."""
