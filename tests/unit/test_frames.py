import threading

import numpy as np

from vbg.frames import Frame, LatestSlot


def test_latest_wins_and_counts_drops():
    slot: LatestSlot[int] = LatestSlot()
    slot.put(1)
    slot.put(2)
    slot.put(3)
    item, seq = slot.get(0, timeout=0)
    assert item == 3 and seq == 3
    assert slot.dropped == 2
    assert slot.get(seq, timeout=0) == (None, seq)


def test_get_wakes_on_put_from_another_thread():
    slot: LatestSlot[Frame] = LatestSlot()
    frame = Frame(np.zeros((2, 2, 3), np.uint8), 1, 0.0)
    threading.Timer(0.05, slot.put, args=(frame,)).start()
    item, seq = slot.get(0, timeout=5)
    assert item is frame and seq == 1


def test_put_never_blocks_while_a_reader_waits():
    slot: LatestSlot[int] = LatestSlot()
    for i in range(1000):
        slot.put(i)
    assert slot.peek() == (999, 1000)
