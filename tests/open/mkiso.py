#!/usr/bin/env python3
# A minimal ISO 9660 image (one directory, plain level-1 names) from
# NAME=FILE arguments: mkiso.py OUT NAME=FILE...
import struct, sys

B = 2048

def both16(v): return struct.pack('<H', v) + struct.pack('>H', v)
def both32(v): return struct.pack('<I', v) + struct.pack('>I', v)

def record(lba, size, flags, ident):
    n = 33 + len(ident)
    r = struct.pack('BB', n + (n & 1), 0) + both32(lba) + both32(size)
    r += bytes([126, 1, 1, 0, 0, 0, 0]) + bytes([flags, 0, 0]) + both16(1)
    r += bytes([len(ident)]) + ident
    return r + b'\0' * (n & 1)

def main():
    out, files = sys.argv[1], [a.split('=', 1) for a in sys.argv[2:]]
    datas = [open(p, 'rb').read() for _, p in files]
    lba = 21
    recs, placed = [], []
    for (name, _), d in zip(files, datas):
        recs.append((lba, len(d), name.upper().encode() + b';1'))
        placed.append((lba, d))
        lba += (len(d) + B - 1) // B
    total = lba
    root = record(20, B, 2, b'\0') + record(20, B, 2, b'\1')
    for l, s, ident in recs:
        root += record(l, s, 0, ident)
    img = bytearray(total * B)
    pvd = bytearray(B)
    pvd[0:7] = b'\x01CD001\x01'
    pvd[8:40] = b' ' * 32
    pvd[40:72] = b'ROOTS'.ljust(32)
    pvd[80:88] = both32(total)
    pvd[120:124] = both16(1)
    pvd[124:128] = both16(1)
    pvd[128:132] = both16(B)
    pvd[132:140] = both32(10)
    pvd[140:144] = struct.pack('<I', 18)
    pvd[148:152] = struct.pack('>I', 19)
    pvd[156:190] = record(20, B, 2, b'\0')
    pvd[190:813] = b' ' * 623
    for off in (813, 830, 847, 864):
        pvd[off:off + 17] = b'0' * 16 + b'\0'
    pvd[881] = 1
    img[16 * B:17 * B] = pvd
    img[17 * B:17 * B + 7] = b'\xffCD001\x01'
    img[18 * B:18 * B + 10] = bytes([1, 0]) + struct.pack('<IH', 20, 1) + b'\0\0'
    img[19 * B:19 * B + 10] = bytes([1, 0]) + struct.pack('>IH', 20, 1) + b'\0\0'
    img[20 * B:20 * B + len(root)] = root
    for l, d in placed:
        img[l * B:l * B + len(d)] = d
    open(out, 'wb').write(img)

main()
