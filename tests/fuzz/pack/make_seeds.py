#!/usr/bin/env python3
"""Writes the committed seed corpora of the packer fuzz targets (run once;
the files it writes are committed, so this only documents how they were
made).  usage: make_seeds.py DIR  (DIR/ternary, DIR/tq2_0, ...)

Header bytes as the harnesses read them (fuzz_pack_ternary.c,
fuzz_pack_blk.c): M - 1, blocks per row - 1, prows - 1 [, tl's extra K]."""
import os
import random
import struct
import sys

rng = random.Random(20240601)


def f16(bits):
    return struct.pack('<H', bits)


def i2s_tensor(M, kb, codes=None, scale=b'\x00\x00\x80\x3f'):
    n = M * kb * 32
    body = bytes(codes if codes is not None else [rng.choice([0x00, 0x55, 0xAA, 0x16, 0x94, 0x6A]) for _ in range(n)])
    return body + scale


def ternary_seeds():
    one = struct.pack('<f', 1.0)
    yield 'valid-1x128', bytes([0, 0, 0, 0]) + i2s_tensor(1, 1)
    yield 'valid-3x256-prows2', bytes([2, 1, 1, 0]) + i2s_tensor(3, 2, scale=struct.pack('<f', 0.0371))
    yield 'valid-8x512-prows40-padding', bytes([7, 3, 39, 0]) + i2s_tensor(8, 4) + b'\xff' * 28
    yield 'zero-weights', bytes([1, 0, 3, 0]) + i2s_tensor(2, 1, codes=[0x55] * 64, scale=struct.pack('<f', 0.5))
    yield 'negative-scale', bytes([0, 0, 0, 0]) + i2s_tensor(1, 1, scale=struct.pack('<f', -2.5))
    yield 'subnormal-scale', bytes([0, 0, 0, 0]) + i2s_tensor(1, 1, scale=struct.pack('<I', 1))
    yield 'tl-k-not-128', bytes([0, 0, 0, 5]) + i2s_tensor(1, 1)
    yield 'code3-last', bytes([0, 0, 0, 0]) + i2s_tensor(1, 1, codes=[0x55] * 31 + [0x57], scale=one)
    for name, bits in [('nan', 0x7fc00000), ('inf', 0x7f800000), ('-inf', 0xff800000), ('zero', 0), ('-zero', 0x80000000)]:
        yield 'scale-' + name, bytes([0, 0, 0, 0]) + i2s_tensor(1, 1, scale=struct.pack('<I', bits))
    yield 'short-by-one', bytes([0, 0, 0, 0]) + i2s_tensor(1, 1)[:-1]


FORMATS = {  # name: (block bytes, scale offset, code bytes)
    'tq2_0': (66, 64, 64),
    'tq1_0': (54, 52, 52),
    'q4_0': (18, 0, 16),
    'q8_0': (34, 0, 32),
}


def block(fmt, d16, codes=None):
    size, d_at, ncodes = FORMATS[fmt]
    if codes is None:
        if fmt == 'tq2_0':  # fields 0..2 only
            codes = [sum(rng.randrange(3) << (2 * f) for f in range(4)) for _ in range(ncodes)]
        else:
            codes = [rng.randrange(256) for _ in range(ncodes)]
    b = bytearray(size)
    b[d_at:d_at + 2] = f16(d16)
    q_at = 0 if d_at else 2
    b[q_at:q_at + ncodes] = bytes(codes)
    return bytes(b)


def block_seeds(fmt):
    size, d_at, ncodes = FORMATS[fmt]
    zero_codes = {'tq2_0': [0x55] * 64, 'tq1_0': [0] * 52, 'q4_0': [0x88] * 16, 'q8_0': [0] * 32}[fmt]
    yield 'valid-1', bytes([0, 0, 0]) + block(fmt, 0x3c00)
    yield 'valid-3x2-prows2', bytes([2, 1, 1]) + b''.join(block(fmt, rng.randrange(0x7c00)) for _ in range(6))
    yield 'valid-8x4-prows40-tail', bytes([7, 3, 39]) + b''.join(block(fmt, 0x2e66) for _ in range(32)) + b'\x00' * 5
    yield 'all-zero-block-d0', bytes([0, 0, 0]) + block(fmt, 0x0000, zero_codes)
    yield 'all-zero-block-d-0', bytes([0, 0, 0]) + block(fmt, 0x8000, zero_codes)
    yield 'largest-scale', bytes([1, 0, 0]) + block(fmt, 0x7bff) + block(fmt, 0xfbff)
    yield 'subnormal-scale', bytes([0, 0, 0]) + block(fmt, 0x0001)
    for name, bits in [('inf', 0x7c00), ('-inf', 0xfc00), ('nan', 0x7e00), ('snan', 0x7c01)]:
        yield 'scale-' + name, bytes([1, 0, 0]) + block(fmt, 0x3c00) + block(fmt, bits)
    if fmt == 'tq2_0':
        yield 'code3', bytes([0, 0, 0]) + block(fmt, 0x3c00, [0x55] * 63 + [0xc0])
    if fmt == 'tq1_0':  # bytes past 242/243 and 0xff: not what ggml's encoder writes
        yield 'noncanonical', bytes([0, 0, 0]) + block(fmt, 0x3c00, [0xff, 0xfe, 0xf3, 0x01] * 13)
    yield 'short-by-one', bytes([0, 0, 0]) + block(fmt, 0x3c00)[:-1]


def q6k_block(d16, codes=None):
    body = bytes(codes) if codes is not None else bytes(rng.randrange(256) for _ in range(208))
    return body + f16(d16)


def q6k_seeds():
    yield 'valid-1', bytes([0, 0, 0]) + q6k_block(0x3c00)
    yield 'valid-3x2-prows2', bytes([2, 1, 1]) + b''.join(q6k_block(rng.randrange(0x7c00)) for _ in range(6))
    yield 'valid-2x3-prows40-tail', bytes([1, 2, 39]) + b''.join(q6k_block(0x2e66) for _ in range(6)) + b'\x00' * 3
    # all-zero weights as ggml writes them: codes 32 (q = 0), scales 0, d 0
    yield 'all-zero-d0', bytes([0, 0, 0]) + q6k_block(0x0000, [0] * 128 + [0xAA] * 64 + [0] * 16)
    yield 'largest-scale', bytes([1, 0, 0]) + q6k_block(0x7bff) + q6k_block(0xfbff)
    for name, bits in [('inf', 0x7c00), ('-inf', 0xfc00), ('nan', 0x7e00)]:
        yield 'scale-' + name, bytes([1, 0, 0]) + q6k_block(0x3c00) + q6k_block(bits)
    yield 'short-by-one', bytes([0, 0, 0]) + q6k_block(0x3c00)[:-1]


def fp_seeds(fmt):
    one, inf, nan, big = (0x3c00, 0x7c00, 0x7e00, 0x7bff) if fmt == 'f16' else (0x3f80, 0x7f80, 0x7fc0, 0x7f7f)
    vals = lambda n, pick: b''.join(f16(pick(i)) for i in range(n))
    yield 'valid-1x16', bytes([0, 0, 0]) + vals(16, lambda i: rng.randrange(0x10000) & ~0x4000)
    yield 'valid-3x32-prows2', bytes([2, 1, 1]) + vals(96, lambda i: (one + i) ^ (0x8000 if i % 3 else 0))
    yield 'zeros-subnormals-max', bytes([0, 0, 0]) + vals(16, lambda i: [0, 0x8000, 1, 0x8001, big, big | 0x8000][i % 6])
    yield 'inf-last', bytes([0, 0, 0]) + vals(15, lambda i: one) + f16(inf)
    yield 'nan-first', bytes([0, 0, 0]) + f16(nan) + vals(15, lambda i: one)
    yield '-inf', bytes([0, 0, 0]) + vals(15, lambda i: one) + f16(inf | 0x8000)
    yield 'short-by-one', bytes([1, 0, 0]) + vals(32, lambda i: one)[:-1]


def write(dirname, seeds):
    os.makedirs(dirname, exist_ok=True)
    for name, data in seeds:
        with open(os.path.join(dirname, name), 'wb') as f:
            f.write(data)


def main():
    out = sys.argv[1]
    write(os.path.join(out, 'ternary'), ternary_seeds())
    for fmt in FORMATS:
        write(os.path.join(out, fmt), block_seeds(fmt))
    write(os.path.join(out, 'q6_k'), q6k_seeds())
    for fmt in ['f16', 'bf16']:
        write(os.path.join(out, fmt), fp_seeds(fmt))


if __name__ == '__main__':
    main()
