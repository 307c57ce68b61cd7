"""Text found in a screenshot, by RapidOCR's PP-OCR ONNX models (they ship inside the wheel).

Shared by the scorer (reference text blocks) and the local backend (the page's real text).
Blocking: call ``read`` from a worker thread (``aread`` does that for you).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import io
import logging
import math
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from .config import usable_cores
from .models import Box

log = logging.getLogger(__name__)

# PP-OCR's detector scales an image so that its long side is at most this many pixels; a tall page
# would shrink its text below legibility, so tall images are read in overlapping horizontal bands.
_MAX_BAND_HEIGHT = 1600
_BAND_OVERLAP = 120
# A line cut by the image's bottom edge is read again from a band this high at the bottom, with a
# margin this high added below it (``OcrEngine._with_bottom_line``).
_EDGE_BAND = 96
_EDGE_PAD = 32
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
# The recognizer scales every line crop to 48 px high, bilinearly; web text is 12-30 px high, and
# bilinear upscaling blurs the narrow gaps between words and letters. Upscaling is done bicubically
# instead (``_bicubic_upscaling``). Measured on the 33 real-framework pages (every Latin line of
# bench/fidelity.py's truth): truth text found verbatim in OCR's lines 60.8% -> 71.5%
# ("Containershandled permonth" -> "Containers handled per month", "200os" -> "2000s"), at the same
# cost; Lanczos: 70.9%.
# Crops recognized together when a caller asks for batches (second looks at many small crops).
_REC_BATCH = 8
# Recognition runs in this many lanes at most, each its own single-threaded ONNX session over a
# share of the lines. A line is a small tensor (48 px high): one session with two intra-op threads
# keeps the second core mostly idle, two sessions side by side keep both busy. Measured on a
# 1280x1600 page of 30 lines, 2 cores: 1.0 s -> 0.69 s, the same text read.
_REC_LANES = 2


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
        _fast_detector_input(self._engine)
        self._det_scale = det_scale
        cores = threads or usable_cores()
        self._recognizers = _recognizer_lanes(self._engine, min(_REC_LANES, cores))
        self._helpers = (
            ThreadPoolExecutor(len(self._recognizers) - 1, thread_name_prefix="ocr-rec")
            if len(self._recognizers) > 1
            else None
        )
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
        if height > 2 * _EDGE_BAND and _cut_at_bottom(rgb):
            lines = self._with_bottom_line(rgb, lines, min_confidence)
        lines.sort(key=lambda ln: (round(ln.box.y / 4), ln.box.x))
        return lines

    def _with_bottom_line(
        self, rgb: np.ndarray, lines: list[OcrLine], min_confidence: float
    ) -> list[OcrLine]:
        """``lines`` with the line the image's bottom edge cuts, read again from the bottom band
        with a margin of the band's own background added below it: the detector finds text by the
        margin around it, and passed over most of such a line (blog_article's last line: only
        "wasnotfne" of "... What changed was not the", and the rest became a picture).
        A line read so replaces the pieces of it the first reading found."""
        height = rgb.shape[0]
        band = rgb[height - _EDGE_BAND :]
        ground = np.median(band[-1], axis=0).astype(np.uint8)
        padded = np.concatenate([band, np.broadcast_to(ground, (_EDGE_PAD, band.shape[1], 3))])
        top = height - _EDGE_BAND
        for found in self._read_band(np.ascontiguousarray(padded), top, min_confidence, native=True):
            box = found.box
            if box.bottom < height - 6 or box.y >= height - 2:
                continue  # a line the first reading had, whole; or one in the margin alone
            box = Box(box.x, box.y, box.width, min(box.bottom, height) - box.y)
            cut = OcrLine(found.text, box, found.confidence)
            pieces = [ln for ln in lines if ln.box.intersection(box) > 0.5 * ln.box.area]
            if sum(len(p.text) for p in pieces) >= len(cut.text):
                continue  # the first reading had it all
            lines = [ln for ln in lines if all(ln is not p for p in pieces)] + [cut]
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
        with self._lock:
            recognized = self._recognize(bgr, _REC_BATCH if batch else 1)
        return [(str(text).strip(), float(confidence)) for text, confidence in recognized]

    def _recognize(self, bgr: list[np.ndarray], batch: int) -> list[tuple[str, float]]:
        """The recognizer's reading of each crop (BGR), shared out between the lanes. Call with the lock held.

        The crops are cut, in order of shape, into the batches one recognizer would make, and
        whole batches are dealt to the least loaded lane, so every crop is padded exactly as it
        would be on one lane and the result does not depend on the number of lanes.
        """
        lanes = self._recognizers
        if len(lanes) == 1 or len(bgr) <= batch:
            return _run_recognizer(lanes[0], bgr, batch)
        ratios = [crop.shape[1] / max(1, crop.shape[0]) for crop in bgr]
        order = sorted(range(len(bgr)), key=lambda i: ratios[i])
        chunks = [order[i : i + batch] for i in range(0, len(order), batch)]
        # A batch costs about its size times its widest crop, never less than the padded width.
        floor = _REC_MIN_WIDTH / 48
        cost = [len(chunk) * max(floor, ratios[chunk[-1]]) for chunk in chunks]
        shares: list[list[int]] = [[] for _ in lanes]
        loads = [0.0] * len(lanes)
        for n in sorted(range(len(chunks)), key=lambda n: -cost[n]):
            lane = loads.index(min(loads))
            shares[lane].extend(chunks[n])
            loads[lane] += cost[n]
        assert self._helpers is not None
        pending = [
            self._helpers.submit(_run_recognizer, lane, [bgr[i] for i in share], batch)
            for lane, share in zip(lanes[1:], shares[1:], strict=True)
        ]
        results = [_run_recognizer(lanes[0], [bgr[i] for i in shares[0]], batch)]
        results += [future.result() for future in pending]
        recognized: list[tuple[str, float]] = [("", 0.0)] * len(bgr)
        for share, result in zip(shares, results, strict=True):
            for i, reading in zip(share, result, strict=True):
                recognized[i] = reading
        return recognized

    async def aread(
        self, image: bytes | Image.Image | np.ndarray, *, min_confidence: float = 0.5
    ) -> list[OcrLine]:
        return await asyncio.to_thread(self.read, image, min_confidence=min_confidence)

    def _read_band(
        self, rgb: np.ndarray, offset_y: int, min_confidence: float, *, native: bool = False
    ) -> list[OcrLine]:
        # RapidOCR expects BGR like OpenCV.
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        with self._lock:
            result = self._detect_and_recognize(bgr, native=native)
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

    def _detect_and_recognize(
        self, bgr: np.ndarray, *, native: bool = False
    ) -> list[tuple[list[list[float]], str, float]]:
        """RapidOCR's own pipeline, with detection on a shrunken copy when that is safe.

        ``native``: detect on the image at its own size, never enlarged (a thin strip, which
        RapidOCR would letterbox and enlarge to 736 px high: 2944x736 for a 1280x128 strip, 1.2 s).
        """
        engine = self._engine
        height, width = bgr.shape[:2]
        scale = self._det_scale
        staged = all(
            hasattr(engine, name) for name in ("text_det", "sorted_boxes", "get_crop_img_list", "text_rec")
        )
        detector = getattr(engine, "text_det", None)
        if native and staged and getattr(detector, "limit_type", None) == "min":
            own = detector.limit_side_len  # type: ignore[union-attr]
            detector.limit_side_len = min(height, width)  # type: ignore[union-attr]
            try:
                return self._detect_at(bgr, bgr)
            finally:
                detector.limit_side_len = own  # type: ignore[union-attr]
        if not staged:
            result, _elapsed = engine(bgr, use_cls=False)
            return list(result or [])
        if scale >= 1.0 or min(height, width) * scale < _DET_MIN_SIDE:
            if not _as_is(engine, width, height):
                result, _elapsed = engine(bgr, use_cls=False)
                return list(result or [])
            # RapidOCR's pipeline on an image it would not resize, step by step, so that
            # recognition runs in every lane (its own recognizes on one thread: 2.5 s of a
            # 1440x900 mail page's 4.9 s).
            return self._detect_at(bgr, bgr)
        small = cv2.resize(bgr, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
        return self._detect_at(bgr, small)

    def _detect_at(self, bgr: np.ndarray, small: np.ndarray) -> list[tuple[list[list[float]], str, float]]:
        """Lines detected on ``small`` (``bgr`` itself, or shrunk) and recognized, in all lanes,
        from ``bgr``'s full-resolution crops. The detector's corners lie within the image it saw:
        on ``bgr`` itself, the scaling and clipping below leave them as they are."""
        engine = self._engine
        height, width = bgr.shape[:2]
        boxes, _elapsed = engine.text_det(small)
        if boxes is None or len(boxes) == 0:
            return []
        factor = np.array([width / small.shape[1], height / small.shape[0]], dtype=np.float32)
        limit = np.array([width - 1, height - 1], dtype=np.float32)
        quads = [
            np.clip(np.asarray(q, dtype=np.float32) * factor, 0, limit) for q in engine.sorted_boxes(boxes)
        ]
        recognized = self._recognize(engine.get_crop_img_list(bgr, quads), 1)
        return [
            (quad.tolist(), str(rec[0]), float(rec[1])) for quad, rec in zip(quads, recognized, strict=False)
        ]


def _as_is(engine: object, width: int, height: int) -> bool:
    """Whether RapidOCR's pipeline would detect on the image as it is: neither resized to its side
    limits nor letterboxed (a thin strip). Otherwise it runs as RapidOCR arranges it."""
    try:
        low, high = engine.min_side_len, engine.max_side_len  # type: ignore[attr-defined]
        thinnest, ratio = engine.min_height, engine.width_height_ratio  # type: ignore[attr-defined]
    except AttributeError:
        return False
    thin = height <= thinnest or (ratio != -1 and width / height > ratio)
    return low <= min(width, height) and max(width, height) <= high and not thin


def _run_recognizer(recognizer: object, bgr: list[np.ndarray], batch: int) -> list[tuple[str, float]]:
    """``recognizer``'s reading of each crop, ``batch`` crops at a time. Its own batch size is put
    back afterwards: RapidOCR's whole pipeline (small images) recognizes with it one line at a time,
    and a batch size left behind would pad those lines to their neighbours' width and read them
    differently after a batched second look than before one."""
    if not bgr:
        return []
    own = recognizer.rec_batch_num  # type: ignore[attr-defined]
    recognizer.rec_batch_num = batch  # type: ignore[attr-defined]
    try:
        recognized, _elapsed = recognizer(bgr, False)  # type: ignore[operator]
    finally:
        recognizer.rec_batch_num = own  # type: ignore[attr-defined]
    return [(str(text), float(confidence)) for text, confidence in recognized]


def _session(path: str, threads: int | None) -> object:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4
    options.enable_cpu_mem_arena = True
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])


def _recognizer_lanes(engine: object, lanes: int) -> list[object]:
    """``lanes`` recognizers over one model: RapidOCR's own, and copies of it with sessions of their own.

    Every session runs on one thread (the lanes are the parallelism). When
    RapidOCR's recognizer is not arranged as expected, its own is the only lane.
    """
    recognizer = engine.text_rec  # type: ignore[attr-defined]
    _bicubic_upscaling(recognizer)
    holder = getattr(recognizer, "session", None)
    path = getattr(getattr(holder, "session", None), "_model_path", None)
    if not path:
        return [recognizer]
    # Every recognizer runs on one thread, however many lanes: the same arithmetic everywhere, so
    # a line reads the same in a worker process and in the service's own.
    holder.session = _session(path, 1)  # type: ignore[union-attr]
    if lanes < 2:
        return [recognizer]
    copies = [recognizer]
    for _ in range(lanes - 1):
        twin = copy.copy(recognizer)
        twin.session = copy.copy(holder)
        twin.session.session = _session(path, 1)
        _bicubic_upscaling(twin)
        copies.append(twin)
    return copies


def _bicubic_upscaling(recognizer: object) -> None:
    """Have ``recognizer`` bring crops lower than its input up to its height bicubically.

    RapidOCR's ``resize_norm_img`` resizes with OpenCV's default (bilinear) whichever way it scales;
    this is the same method with bicubic interpolation when it enlarges. Left as it is when RapidOCR's
    recognizer is arranged differently.
    """
    shape = getattr(recognizer, "rec_image_shape", None)
    if not callable(getattr(recognizer, "resize_norm_img", None)) or shape is None or len(shape) != 3:
        return
    channels, height, _width = (int(v) for v in shape)

    def resize_norm_img(img: np.ndarray, max_wh_ratio: float) -> np.ndarray:
        padded_width = int(height * max_wh_ratio)
        h, w = img.shape[:2]
        width = min(padded_width, math.ceil(height * w / float(h)))
        interpolation = cv2.INTER_CUBIC if h < height else cv2.INTER_LINEAR
        resized = cv2.resize(img, (width, height), interpolation=interpolation).astype(np.float32)
        out = np.zeros((channels, height, padded_width), dtype=np.float32)
        out[:, :, :width] = resized.transpose((2, 0, 1)) / 127.5 - 1.0
        return out

    recognizer.resize_norm_img = resize_norm_img  # type: ignore[attr-defined]


def _fast_detector_input(engine: object) -> None:
    """Make the detector's input with float32 arithmetic.

    RapidOCR normalizes the page with float64 mean and std arrays, which turns the whole image into
    float64 and back: about 200 ms of a 1280x1600 page's detection. The same formula in float32
    takes a tenth of that, and the network gets the same values to float32 precision (the page's
    boxes come out the same). Left as it is when RapidOCR's detector is arranged differently.
    """
    detector = getattr(engine, "text_det", None)
    try:
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess
    except ImportError:
        return
    if detector is None or not hasattr(detector, "get_preprocess"):
        return

    class _Float32Input(DetPreProcess):  # type: ignore[misc]
        def __init__(self, *args: object) -> None:
            super().__init__(*args)
            self._gain = (self.scale / np.asarray(self.std, dtype=np.float64)).astype(np.float32)
            self._offset = (np.asarray(self.mean, dtype=np.float64) / self.std).astype(np.float32)

        def __call__(self, img: np.ndarray) -> np.ndarray | None:
            resized = self.resize(img)
            if resized is None:
                return None
            planes = resized.astype(np.float32).transpose(2, 0, 1)
            out = planes * self._gain[:, None, None] - self._offset[:, None, None]
            return np.ascontiguousarray(out[None])

    def get_preprocess(max_wh: int) -> DetPreProcess:
        base = type(detector).get_preprocess(detector, max_wh)
        return _Float32Input(base.limit_side_len, base.limit_type, base.mean, base.std)

    detector.get_preprocess = get_preprocess


def _use_memory_arena(engine: object, threads: int | None) -> None:
    """Reload the detector's ONNX session with onnxruntime's CPU memory arena on (``_session``).

    RapidOCR turns the arena off and offers no option for it. Every recognition is a differently
    sized tensor, so without the arena each one allocates and frees its buffers: measured, the arena
    saves 8% of the CPU of a read (1,249 -> 1,153 ms a page, one thread), with the same results.
    The recognizer's sessions are made once, by ``_recognizer_lanes``, with the arena on too. When
    a RapidOCR release arranges its sessions differently, this leaves them as they are.
    """
    import onnxruntime as ort

    holder = getattr(getattr(engine, "text_det", None), "infer", None)
    session = getattr(holder, "session", None)
    path = getattr(session, "_model_path", None)
    if not isinstance(session, ort.InferenceSession) or not path:
        log.debug("RapidOCR's detector is not where expected; its memory arena stays off")
        return
    holder.session = _session(path, threads)  # type: ignore[union-attr]


def _cut_at_bottom(rgb: np.ndarray) -> bool:
    """Whether something (text, most often) runs off the image's bottom edge: a few pixels of its
    last row far from that row's usual color."""
    last = rgb[-1].astype(np.int16)
    ground = np.median(last, axis=0)
    far = int((np.abs(last - ground).max(axis=1) > 60).sum())
    return 3 <= far <= 0.5 * len(last)


def _same_line(a: OcrLine, b: OcrLine) -> bool:
    overlap = a.box.intersection(b.box)
    return overlap > 0.5 * min(a.box.area, b.box.area)
