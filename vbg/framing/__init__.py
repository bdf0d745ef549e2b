"""Auto-framing: a virtual camera operator that keeps the person framed (``--framing auto``).

- :mod:`~vbg.framing.operator`: the pure ``step(box, state, dt) -> (crop, state)``;
- :mod:`~vbg.framing.measure`: the person's box from an alpha mask;
- :mod:`~vbg.framing.framer`: the frame and its alpha cropped together before compositing;
- :mod:`~vbg.framing.report`: the framing report (centre, head room, cuts, jitter) of masks.
"""
