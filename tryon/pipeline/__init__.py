"""Virtual try-on models and image processing: plain PyTorch, OpenCV and Pillow, no Django.

Usable on its own (`python -m tryon.pipeline PERSON GARMENT -o OUT.png`) and from the shop's workers.
"""
