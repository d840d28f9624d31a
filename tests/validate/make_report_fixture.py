#!/usr/bin/python3
"""Copies the report generator's fixture (report_fixture/) to DEST and adds
the HDF5 files flex would have written beside it: the DNS files (their Re
attribute) and the predictions (their resolved deck naming infer.input and
infer.checkpoint), from which plot_results.py finds each field's Re and
whether the network trained on it. Text files stay in the repository; the
tiny HDF5 files are made here so the fixture holds no binaries.

    make_report_fixture.py SRC DEST
"""
import os
import shutil
import sys

import h5py
import numpy as np


def fields(path, **attrs):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with h5py.File(path, "w") as f:
        d = f.create_dataset("fields", data=np.zeros((1, 1, 4, 4), dtype="f4"))
        for k, v in attrs.items():
            d.attrs[k] = v


def main():
    src, dest = sys.argv[1:3]
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src, dest)
    for re in (1000, 1500):
        fields(os.path.join(dest, "dns", f"re{re}.h5"), Re=float(re))
        for net in ("sr", "unet", "noweak"):
            deck = (f"# Resolved deck (fixture)\ninfer.input = dns/re{re}.h5  # deck\n"
                    f"infer.checkpoint = train_{net}/flex_ema.pt  # deck\n")
            fields(os.path.join(dest, "infer", f"{net}_re{re}.h5"), deck=deck)


if __name__ == "__main__":
    main()
