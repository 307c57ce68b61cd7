"""Text found in a screenshot, by RapidOCR's PP-OCR ONNX models (they ship inside the wheel).

Shared by the scorer (reference text blocks) and the local backend (the page's real text).
Blocking: call ``read`` from a worker thread (``aread`` does that for you).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from .models import Box

log = logging.getLogger(__name__)

# PP-OCR's detector scales an image so that its long side is at most this many pixels; a tall page
# would shrink its text below legibility, so tall images are read in overlapping horizontal bands.
_MAX_BAND_HEIGHT = 1600
_BAND_OVERLAP = 120
# The text detector runs on the band shrunk to this scale; recognition still reads full-resolution
# crops. On the scorer's fixture pages (14-48 px English and Chinese text) it finds the same lines
# and reads the same words as at full size, and detection of a 1280x1600 page takes about half the
# time (550 -> 280 ms; `bench/score.py --det-scale 1.0` compares). Below _DET_MIN_SIDE the
# detector would scale the image back up: no gain.
DET_SCALE = 0.75
_DET_MIN_SIDE = 736
# The recognizer's input: 48 px high, padded on the right to at least this width. RapidOCR's default
# (320, PaddleOCR's training width) pads a four-letter label to a 6.7:1 strip, and the model's cost
# grows with the width. 144 (3:1) reads the 20 development pages with 14% less CPU, and its only
# differences from 320 are corrections (measured: 8 of 602 lines, such as "Ceramicmug" -> "Ceramic
# mug" and "starter" -> "Starter"). Narrower still (96) began to misread "$0" as "$O".
_REC_MIN_WIDTH = 144
# Crops recognized together when a caller asks for batches (second looks at many small crops).
_REC_BATCH = 8


@dataclass(frozen=True)
class OcrLine:
    """One line of text as OCR read it, with its bounding box in image pixels."""

    text: str
    box: Box
    confidence: float


def _to_rgb_array(image: bytes | Image.Image | np.ndarray) -> np.ndarray:
    if isinstance(image, np.ndarray):
        return image
    if isinstance(image, bytes):
        image = Image.open(io.BytesIO(image))
    return np.asarray(image.convert("RGB"))


class OcrEngine:
    """A loaded RapidOCR model. Thread-safe; one per process is enough (see ``shared``)."""

    _shared: OcrEngine | None = None
    _shared_lock = threading.Lock()

    def __init__(self, *, det_scale: float = DET_SCALE, threads: int | None = None) -> None:
        from rapidocr_onnxruntime import RapidOCR

        # Angle classification is off: screenshots of web pages are upright. One line per
        # recognition batch: batching pads every line to the widest in its batch, which costs more
        # than it saves on a CPU (about 20% of recognition time on a typical page).
        # ``threads``: onnxruntime's intra-op threads (None: one per core, its default).
        extra = {"intra_op_num_threads": threads} if threads else {}
        self._engine = RapidOCR(
            use_cls=False,
            print_verbose=False,
            rec_batch_num=1,
            rec_img_shape=[3, 48, _REC_MIN_WIDTH],
            **extra,
        )
        _use_memory_arena(self._engine, threads)
        self._det_scale = det_scale
        self._lock = threading.Lock()
        # The scorer and the local backend read the same source screenshot: remember a few results.
        self._recent: OrderedDict[tuple[object, ...], tuple[OcrLine, ...]] = OrderedDict()
        self._recent_lock = threading.Lock()

    @classmethod
    def shared(cls) -> OcrEngine:
        """The process-wide engine, loaded on first use (model load is about a quarter second)."""
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def read(self, image: bytes | Image.Image | np.ndarray, *, min_confidence: float = 0.5) -> list[OcrLine]:
        """All text lines in ``image`` (RGB), top to bottom, left to right."""
        rgb = np.ascontiguousarray(_to_rgb_array(image))
        key = (rgb.shape, hashlib.blake2b(rgb.tobytes(), digest_size=16).digest(), min_confidence)
        with self._recent_lock:
            if key in self._recent:
                self._recent.move_to_end(key)
                return list(self._recent[key])
        lines = self._read_uncached(rgb, min_confidence)
        with self._recent_lock:
            self._recent[key] = tuple(lines)
            while len(self._recent) > 8:
                self._recent.popitem(last=False)
        return lines

    def forget(self) -> None:
        """Drop the remembered results (benchmarks use this to measure cold reads)."""
        with self._recent_lock:
            self._recent.clear()

    def _read_uncached(self, rgb: np.ndarray, min_confidence: float) -> list[OcrLine]:
        height = rgb.shape[0]
        if height <= _MAX_BAND_HEIGHT:
            lines = self._read_band(rgb, 0, min_confidence)
        else:
            lines = []
            step = _MAX_BAND_HEIGHT - _BAND_OVERLAP
            top = 0
            while top < height:
                band = rgb[top : top + _MAX_BAND_HEIGHT]
                last = top + _MAX_BAND_HEIGHT >= height
                for line in self._read_band(band, top, min_confidence):
                    # A line cut by the band's lower edge is read whole by the next band; a line
                    # inside the overlap is read twice: keep the first copy.
                    if not last and line.box.bottom > top + _MAX_BAND_HEIGHT - 6:
                        continue
                    if any(_same_line(line, kept) for kept in lines):
                        continue
                    lines.append(line)
                if last:
                    break
                top += step
        lines.sort(key=lambda ln: (round(ln.box.y / 4), ln.box.x))
        return lines

    def recognize(self, crops: list[np.ndarray], *, batch: bool = False) -> list[tuple[str, float]]:
        """What the recognizer reads in each crop (RGB, one text line each), without detection:
        a second look at a line, or at a part of one. (text, confidence) per crop.

        ``batch``: run the crops through the model a few at a time (RapidOCR groups crops of
        similar shape), which halves the cost for many small crops; each is padded to the widest
        of its group."""
        if not crops:
            return []
        bgr = [np.ascontiguousarray(crop[:, :, ::-1]) for crop in crops]
        recognizer = self._engine.text_rec
        with self._lock:
            one_by_one = recognizer.rec_batch_num
            if batch:
                recognizer.rec_batch_num = _REC_BATCH
            try:
                recognized, _elapsed = recognizer(bgr, False)
            finally:
                recognizer.rec_batch_num = one_by_one
        return [(str(text).strip(), float(confidence)) for text, confidence in recognized]

    async def aread(
        self, image: bytes | Image.Image | np.ndarray, *, min_confidence: float = 0.5
    ) -> list[OcrLine]:
        return await asyncio.to_thread(self.read, image, min_confidence=min_confidence)

    def _read_band(self, rgb: np.ndarray, offset_y: int, min_confidence: float) -> list[OcrLine]:
        # RapidOCR expects BGR like OpenCV.
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        with self._lock:
            result = self._detect_and_recognize(bgr)
        lines: list[OcrLine] = []
        for quad, text, confidence in result or []:
            text = str(text).strip()
            if not text or float(confidence) < min_confidence:
                continue
            xs = [float(p[0]) for p in quad]
            ys = [float(p[1]) for p in quad]
            box = Box(min(xs), min(ys) + offset_y, max(xs) - min(xs), max(ys) - min(ys))
            lines.append(OcrLine(text=text, box=box, confidence=float(confidence)))
        return lines

    def _detect_and_recognize(self, bgr: np.ndarray) -> list[tuple[list[list[float]], str, float]]:
        """RapidOCR's own pipeline, with detection on a shrunken copy when that is safe."""
        engine = self._engine
        height, width = bgr.shape[:2]
        scale = self._det_scale
        staged = all(
            hasattr(engine, name) for name in ("text_det", "sorted_boxes", "get_crop_img_list", "text_rec")
        )
        if scale >= 1.0 or min(height, width) * scale < _DET_MIN_SIDE or not staged:
            result, _elapsed = engine(bgr, use_cls=False)
            return list(result or [])
        small = cv2.resize(bgr, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
        boxes, _elapsed = engine.text_det(small)
        if boxes is None or len(boxes) == 0:
            return []
        factor = np.array([width / small.shape[1], height / small.shape[0]], dtype=np.float32)
        limit = np.array([width - 1, height - 1], dtype=np.float32)
        quads = [
            np.clip(np.asarray(q, dtype=np.float32) * factor, 0, limit) for q in engine.sorted_boxes(boxes)
        ]
        recognized, _elapsed = engine.text_rec(engine.get_crop_img_list(bgr, quads), False)
        return [
            (quad.tolist(), str(rec[0]), float(rec[1])) for quad, rec in zip(quads, recognized, strict=False)
        ]


def _use_memory_arena(engine: object, threads: int | None) -> None:
    """Reload the detector's and recognizer's ONNX sessions with onnxruntime's CPU memory arena on.

    RapidOCR turns the arena off and offers no option for it. Every recognition is a differently
    sized tensor, so without the arena each one allocates and frees its buffers: measured, the arena
    saves 8% of the CPU of a read (1,249 -> 1,153 ms a page, one thread), with the same results. When
    a RapidOCR release arranges its sessions differently, this leaves them as they are.
    """
    import onnxruntime as ort

    for part in (getattr(engine, "text_det", None), getattr(engine, "text_rec", None)):
        holder = getattr(part, "infer", None) or getattr(part, "session", None)
        session = getattr(holder, "session", None)
        path = getattr(session, "_model_path", None)
        if not isinstance(session, ort.InferenceSession) or not path:
            log.debug("RapidOCR's sessions are not where expected; the memory arena stays off")
            return
        options = ort.SessionOptions()
        options.log_severity_level = 4
        options.enable_cpu_mem_arena = True
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        holder.session = ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])  # type: ignore[union-attr]


def _same_line(a: OcrLine, b: OcrLine) -> bool:
    overlap = a.box.intersection(b.box)
    return overlap > 0.5 * min(a.box.area, b.box.area)
