#!/usr/bin/python3
"""plot_trace.py - draw rr_trace CSV output (one or more traces) into a PNG.

usage: plot_trace.py OUT.png TRACE.csv [TRACE.csv ...]
Needs Debian's python3-matplotlib (a development aid: not used by tests or CI).
"""
import csv
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 64
    traces = sys.argv[2:]
    fig, axs = plt.subplots(len(traces), 1, figsize=(14, 2.8 * len(traces)), squeeze=False)
    for ax, path in zip(axs[:, 0], traces):
        rows = list(csv.DictReader(open(path)))
        t = [float(r['t_s']) for r in rows]
        sig = [float(r['signal']) for r in rows]
        fil = [float(r['filtered']) for r in rows]
        ax.plot(t, sig, lw=0.6, color='0.6', label='signal')
        ax.plot(t, fil, lw=1.4, color='C0', label='filtered')
        lo = min((v for v in fil if v == v), default=0)
        for r, tt in zip(rows, t):
            if r['event'] == 'rep':
                ax.axvline(tt, color='g', lw=1)
            elif r['event'] == 'partial':
                ax.axvline(tt, color='orange', lw=1, ls='--')
            if r['rest_pose'] == '1':
                ax.plot(tt, lo, '|', color='b', ms=4)
            if r['far_pose'] == '1':
                ax.plot(tt, lo - 0.02, '|', color='r', ms=4)
            if r['envelope'] == '0':
                ax.plot(tt, lo - 0.04, '|', color='k', ms=4)
        ax.set_title(path)
        ax.legend(loc='upper right', fontsize=6)
    plt.tight_layout()
    plt.savefig(sys.argv[1], dpi=65)
    return 0


if __name__ == '__main__':
    sys.exit(main())
