#!/usr/bin/env python3
"""Draw the IssueSync mark (two chasing arrows on a teal-to-indigo rounded
square) as RGBA PNGs plus a PNG-in-ICO, using only the standard library."""

import math
import struct
import sys
import zlib
from pathlib import Path

TEAL = (13, 148, 136)
INDIGO = (79, 70, 229)
SS = 4  # supersamples per axis


def inside_rounded_square(x, y, r):
    """x, y in [0, 1]; r is the corner radius."""
    m = 0.03  # margin
    lo, hi = m + r, 1 - m - r
    if x < m or x > 1 - m or y < m or y > 1 - m:
        return False
    cx = min(max(x, lo), hi)
    cy = min(max(y, lo), hi)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def in_triangle(px, py, a, b, c):
    def side(p1, p2):
        return (px - p2[0]) * (p1[1] - p2[1]) - (p1[0] - p2[0]) * (py - p2[1])

    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    neg = d1 < 0 or d2 < 0 or d3 < 0
    pos = d1 > 0 or d2 > 0 or d3 > 0
    return not (neg and pos)


CX = CY = 0.5
RING_R = 0.25
RING_W = 0.075
GAP = math.radians(38)  # angular gap left for each arrow head


def arrow_heads():
    heads = []
    # Arcs run clockwise (screen coordinates) and each ends in a head.
    for start in (math.radians(-90), math.radians(90)):
        end = start + math.pi - GAP
        tip_angle = end + GAP * 0.75
        ex, ey = CX + RING_R * math.cos(end), CY + RING_R * math.sin(end)
        # Tangent direction (clockwise on screen = increasing angle).
        tx, ty = -math.sin(end), math.cos(end)
        nx, ny = math.cos(end), math.sin(end)
        half = RING_W * 1.45
        a = (ex + nx * half, ey + ny * half)
        b = (ex - nx * half, ey - ny * half)
        tip = (CX + RING_R * math.cos(tip_angle), CY + RING_R * math.sin(tip_angle))
        # Push the tip a little along the tangent so the head is pointy.
        tip = (tip[0] + tx * 0.01, tip[1] + ty * 0.01)
        heads.append((start, end, (a, b, tip)))
    return heads


HEADS = arrow_heads()


def in_mark(x, y):
    dx, dy = x - CX, y - CY
    dist = math.hypot(dx, dy)
    ang = math.atan2(dy, dx)
    for start, end, tri in HEADS:
        if abs(dist - RING_R) <= RING_W / 2:
            rel = (ang - start) % (2 * math.pi)
            if rel <= end - start:
                return True
        if in_triangle(x, y, *tri):
            return True
    return False


def render(size):
    radius = 0.22
    rows = []
    for py in range(size):
        row = bytearray([0])  # filter type none
        for px in range(size):
            bg = mark = 0
            for sy in range(SS):
                for sx in range(SS):
                    x = (px + (sx + 0.5) / SS) / size
                    y = (py + (sy + 0.5) / SS) / size
                    if inside_rounded_square(x, y, radius):
                        bg += 1
                        if in_mark(x, y):
                            mark += 1
            n = SS * SS
            t = (px + py) / (2 * size)
            base = [round(TEAL[i] + (INDIGO[i] - TEAL[i]) * t) for i in range(3)]
            if bg == 0:
                row += bytes(4)
                continue
            w = mark / bg
            rgb = [round(c + (255 - c) * w) for c in base]
            row += bytes(rgb + [round(255 * bg / n)])
        rows.append(bytes(row))
    return b"".join(rows)


def png(size):
    raw = render(size)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def ico(images):
    """images: list of (size, png bytes); ICO entries may hold PNG data."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for size, data in images:
        dim = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
        blobs += data
    return header + entries + blobs


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cache = {s: png(s) for s in (16, 32, 48, 128, 256, 512)}
    (out / "32x32.png").write_bytes(cache[32])
    (out / "128x128.png").write_bytes(cache[128])
    (out / "128x128@2x.png").write_bytes(cache[256])
    (out / "icon.png").write_bytes(cache[512])
    (out / "icon.ico").write_bytes(ico([(s, cache[s]) for s in (16, 32, 48, 256)]))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "icons")
