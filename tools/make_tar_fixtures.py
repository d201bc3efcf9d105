#!/usr/bin/env python3
"""Real tars for tagood's tar-layout tests, made with Python's own `tarfile` (the standard library only).

    make_tar_fixtures.py OUT.tar --format gnu|pax|ustar --base DIR MEMBER...

Adds each MEMBER (a path relative to DIR, in the order given) to OUT.tar in that header format. A member
written `NAME.tar=FOLDER` is an inner tar: FOLDER (relative to DIR) packed, in the same format and in
sorted order, into a tar made in memory and stored as member NAME.tar, as ILSVRC2012_img_train.tar holds
n01440764.tar and the other class tars. A MEMBER written `NAME@=TEXT` is a member with TEXT as its bytes.

The tests (Tests/DatasetsTests, Tests/ExtractTests, Tests/ClusterTests) run this beside GNU tar on the same
files, so both writers' headers are read for real; nothing of that is committed.

    make_tar_fixtures.py --fuzz-corpus Fuzz/Corpus/tar

writes the seed tars of `fuzz-tar` (committed): class tars (GNU), long and non-ASCII names (pax), a ustar
prefix, a webdataset shard. Its `index.tarindex` seed is `tagood plan`'s index of webdataset.tar.
"""
import argparse
import io
import os
import sys
import tarfile

FORMATS = {"gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT, "ustar": tarfile.USTAR_FORMAT}


def add_folder(tar, folder):
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            tar.add(path, arcname=os.path.relpath(path, folder))


def add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 1_700_000_000
    tar.addfile(info, io.BytesIO(data))


def fuzz_corpus(out):
    def tar(fmt, members):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=fmt) as t:
            for name, data in members:
                add_bytes(t, name, data)
        return buffer.getvalue()

    jpeg = b"\xff\xd8\xff\xe0" + b"x" * 40
    inner = tar(tarfile.GNU_FORMAT, [("a.JPEG", jpeg), ("sub/b.JPEG", jpeg)])
    seeds = {
        "class-tars-gnu.tar": tar(tarfile.GNU_FORMAT, [("n01.tar", inner), ("n02/c.jpg", jpeg)]),
        "long-names-pax.tar": tar(tarfile.PAX_FORMAT, [("c/" + "d" * 150 + "/\u00e9.png", jpeg), ("c/x.jpg", jpeg)]),
        "ustar-prefix.tar": tar(tarfile.USTAR_FORMAT, [("c/" + "p" * 120 + "/name.jpg", jpeg)]),
        "webdataset.tar": tar(tarfile.GNU_FORMAT, [("k0.jpg", jpeg), ("k0.cls", b"3\n"), ("k1.png", jpeg),
                                                   ("k1.json", b"{}")]),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--fuzz-corpus":
        fuzz_corpus(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--format", choices=sorted(FORMATS), default="gnu")
    parser.add_argument("--base", required=True)
    parser.add_argument("members", nargs="+")
    args = parser.parse_args()
    fmt = FORMATS[args.format]
    with tarfile.open(args.out, "w", format=fmt) as tar:
        for member in args.members:
            if "@=" in member:
                name, text = member.split("@=", 1)
                add_bytes(tar, name, text.encode())
            elif "=" in member:
                name, folder = member.split("=", 1)
                buffer = io.BytesIO()
                with tarfile.open(fileobj=buffer, mode="w", format=fmt) as inner:
                    add_folder(inner, os.path.join(args.base, folder))
                add_bytes(tar, name, buffer.getvalue())
            else:
                tar.add(os.path.join(args.base, member), arcname=member)


if __name__ == "__main__":
    main()
