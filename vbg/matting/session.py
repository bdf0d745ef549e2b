"""onnxruntime sessions: thread count, execution provider choice, and what is really used."""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort

from vbg.errors import ModelError

# Our names for the providers a user can ask for, in the order "auto" prefers them.
PROVIDER_IDS: dict[str, str] = {
    "cuda": "CUDAExecutionProvider",
    "directml": "DmlExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "cpu": "CPUExecutionProvider",
}
_SHORT = {v: k for k, v in PROVIDER_IDS.items()}


def available_providers() -> list[str]:
    """Our short names of the providers this onnxruntime build offers (e.g. ['cpu'])."""
    return [_SHORT[p] for p in ort.get_available_providers() if p in _SHORT]


def create_session(path: Path, threads: int = 1, provider: str = "auto") -> ort.InferenceSession:
    """Open ``path`` with ``threads`` intra-op threads on the chosen provider.

    "auto" takes the first installed of CUDA, DirectML, CoreML, else CPU. An explicitly requested
    provider that this onnxruntime lacks is an error (never a silent fall-back to CPU). The
    provider really in use is ``provider_in_use(session)``.
    """
    have = available_providers()
    chosen: str
    if provider == "auto":
        chosen = next(p for p in ("cuda", "directml", "coreml", "cpu") if p in have or p == "cpu")
    elif provider in have:
        chosen = provider
    else:
        raise ModelError(
            f"The {provider} execution provider is not available in this onnxruntime "
            f"(it has: {', '.join(have) or 'cpu'}); install the matching onnxruntime package "
            "or choose --provider cpu."
        )
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    # Spinning threads burn CPU the video call needs; we run one inference per frame anyway.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    providers = [PROVIDER_IDS[chosen]]
    if chosen != "cpu":
        providers.append(PROVIDER_IDS["cpu"])  # for ops the accelerator lacks; reported below
    try:
        return ort.InferenceSession(str(path), sess_options=opts, providers=providers)
    except Exception as exc:  # onnxruntime raises several private exception types
        raise ModelError(
            f"{path} could not be loaded as an ONNX model ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200]}); check that the file is a complete .onnx file."
        ) from exc


def provider_in_use(session: ort.InferenceSession) -> str:
    """Short name of the provider the session really runs on (its first active provider)."""
    active = session.get_providers()
    return _SHORT.get(active[0], active[0]) if active else "cpu"
