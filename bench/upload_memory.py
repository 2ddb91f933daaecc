"""Peak memory one photo upload takes in a real Daphne process (issue #12, failure 2).

    .venv/bin/python bench/upload_memory.py

Starts the throwaway bench site (`bench/_server.py`, DEBUG off, SQLite), signs one user in with a
token and POSTs each picture to `/api/tryon/photos/`. Before each upload the Daphne process's
peak-RSS counter is reset to its current RSS (`/proc/PID/clear_refs`, Linux), so each figure is
what that one upload added on top of the process as it stood. Prints JSON: per picture its file
size, the HTTP status and message, and the peak RSS above the starting RSS in MiB.
"""

from __future__ import annotations

import io
import json
import secrets
import struct
import sys
import zlib
from pathlib import Path

import requests
from PIL import Image, ImageDraw

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench._server import BenchSite  # noqa: E402

UPLOAD_TIMEOUT_S = 120


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def flat_png(width: int, height: int) -> bytes:
    """A valid RGB PNG of one grey, compressed row by row (it never exists whole in memory here)."""
    compressor = zlib.compressobj(9)
    row = b"\0" + b"\x80" * (3 * width)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b"")


def phone_like_jpeg(width: int, height: int) -> bytes:
    """A JPEG with some structure (a figure on a gradient), the size class of a phone photo."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    ImageDraw.Draw(image).ellipse((width // 3, height // 6, 2 * width // 3, 5 * height // 6), fill=(170, 120, 90))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def pictures() -> list[tuple[str, str, bytes]]:
    thin = io.BytesIO()
    Image.new("L", (1, 100_000), 128).save(thin, format="PNG")
    return [
        ("1x100000 PNG", "thin.png", thin.getvalue()),
        ("39.6 MP PNG (7700x5143)", "big.png", flat_png(7700, 5143)),
        ("12 MP PNG (4000x3000)", "mid.png", flat_png(4000, 3000)),
        ("12 MP JPEG (4000x3000)", "phone.jpg", phone_like_jpeg(4000, 3000)),
        ("39.6 MP JPEG (7700x5143)", "huge.jpg", phone_like_jpeg(7700, 5143)),
    ]


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def main() -> None:
    with BenchSite() as site:
        from rest_framework.authtoken.models import Token

        from accounts.models import User

        user = User.objects.create_user(email="bench-upload@example.com", password=secrets.token_urlsafe(16))
        headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
        cases = pictures()
        with site.serve() as server:
            pid = server.process.pid
            url = server.base_url + "/api/tryon/photos/"
            warm_up = phone_like_jpeg(600, 800)  # imports and first-use allocations, not measured
            requests.post(url, files={"photo": ("w.jpg", warm_up)}, headers=headers, timeout=UPLOAD_TIMEOUT_S)
            results = []
            for label, name, content in cases:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
                start_kib = _status_kib(pid, "VmRSS")
                response = requests.post(
                    url, files={"photo": (name, content)}, headers=headers, timeout=UPLOAD_TIMEOUT_S
                )
                peak_kib = _status_kib(pid, "VmHWM")
                is_json = response.headers.get("Content-Type", "").startswith("application/json")
                body = response.json() if is_json else {"message": f"(not JSON) {response.text[:60].strip()}"}
                results.append(
                    {
                        "picture": label,
                        "file_kib": round(len(content) / 1024, 1),
                        "status": response.status_code,
                        "message": body.get("message", ""),
                        "stored": f"{body.get('width')}x{body.get('height')}" if response.ok else None,
                        "rss_start_mib": round(start_kib / 1024, 1),
                        "peak_above_start_mib": round((peak_kib - start_kib) / 1024, 1),
                    }
                )
    print(json.dumps({"results": results}, indent=2))


if __name__ == "__main__":
    main()
