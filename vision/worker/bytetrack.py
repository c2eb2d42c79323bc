"""ByteTrack in numpy (Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every
Detection Box", ECCV 2022), run as ultralytics' BYTETracker runs it with its bytetrack.yaml
(high 0.25, low 0.1, new track 0.25, buffer 30 frames, match 0.8, IoU fused with the score),
so that the worker needs neither torch nor ultralytics at run time: the same tracks from the
same detections (tests/vision/test_runtime.py compares the two on a real clip).

A track's state is a Kalman filter over (centre x, centre y, aspect, height) and their
velocities; each frame, high-score detections are matched to the predicted tracks (lost ones
too), then low-score detections to the tracks still unmatched, then the rest to the tracks
born last frame; a new track needs a high score and a second frame (except on the first).
"""

from __future__ import annotations

import lap
import numpy as np

HIGH, LOW, NEW, BUFFER, MATCH = 0.25, 0.1, 0.25, 30, 0.8
TRACKED, LOST, REMOVED = 1, 2, 3
POS, VEL = 1.0 / 20, 1.0 / 160
MOTION = np.eye(8)
MOTION[range(4), range(4, 8)] = 1.0


class Track:
    def __init__(self, tlwh: np.ndarray, score: float, cls: float, idx: int):
        self.tlwh0 = tlwh
        self.score, self.cls, self.idx = score, cls, idx
        self.mean: np.ndarray | None = None
        self.cov: np.ndarray | None = None
        self.id, self.state, self.activated = 0, 0, False
        self.frame, self.start, self.length = 0, 0, 0

    @property
    def tlwh(self) -> np.ndarray:
        if self.mean is None:
            return self.tlwh0.copy()
        out = self.mean[:4].copy()
        out[2] *= out[3]
        out[:2] -= out[2:] / 2
        return out

    @property
    def xyxy(self) -> np.ndarray:
        out = self.tlwh
        out[2:] += out[:2]
        return out

    def start_at(self, frame: int, new_id: int) -> None:
        self.id = new_id
        xyah = np.asarray(to_xyah(self.tlwh0), np.float64)
        h = xyah[3]
        std = [2 * POS * h, 2 * POS * h, 1e-2, 2 * POS * h, 10 * VEL * h, 10 * VEL * h, 1e-5, 10 * VEL * h]
        self.mean, self.cov = np.r_[xyah, np.zeros(4)], np.diag(np.square(std))
        self.length, self.state, self.activated = 0, TRACKED, frame == 1
        self.frame = self.start = frame

    def take(self, det: Track, frame: int, *, again: bool = False) -> None:
        """The detection matched to this track (`again`: a lost track found again)."""
        self.mean, self.cov = kalman_update(self.mean, self.cov, to_xyah(det.tlwh))
        self.length = 0 if again else self.length + 1
        self.state, self.activated, self.frame = TRACKED, True, frame
        self.score, self.cls, self.idx = det.score, det.cls, det.idx


class ByteTrack:
    """One camera's tracker; `update` takes rows [x1, y1, x2, y2, score, class] and answers
    rows [x1, y1, x2, y2, id, score, class, index] of the confirmed tracks."""

    def __init__(self):
        self.tracked: list[Track] = []
        self.lost: list[Track] = []
        self.removed: list[Track] = []
        self.frame_id = 0
        self.ids = 0

    def update(self, detections: np.ndarray) -> np.ndarray:
        self.frame_id += 1
        high, low = self._split(np.asarray(detections, np.float32).reshape(-1, 6))
        activated, refound, lost, removed = [], [], [], []
        unconfirmed = [t for t in self.tracked if not t.activated]
        pool = joint([t for t in self.tracked if t.activated], self.lost)
        predict(pool)
        matches, u_track, u_det = assign(fused(pool, high), MATCH)
        self._apply(matches, pool, high, activated, refound)
        rest = [pool[i] for i in u_track if pool[i].state == TRACKED]
        unmatched = range(len(rest))
        if rest and low:
            matches, unmatched, _ = assign(1 - iou(rest, low), 0.5)
            self._apply(matches, rest, low, activated, refound)
        for i in unmatched:
            rest[i].state = LOST
            lost.append(rest[i])
        high = [high[i] for i in u_det]
        u_det = range(len(high))
        if unconfirmed:
            matches, u_unconfirmed, u_det = assign(fused(unconfirmed, high), 0.7)
            for t, d in matches:
                unconfirmed[t].take(high[d], self.frame_id)
                activated.append(unconfirmed[t])
            for t in u_unconfirmed:
                unconfirmed[t].state = REMOVED
                removed.append(unconfirmed[t])
        for d in u_det:
            if high[d].score >= NEW:
                self.ids += 1
                high[d].start_at(self.frame_id, self.ids)
                activated.append(high[d])
        for t in self.lost:
            if self.frame_id - t.frame > BUFFER:
                t.state = REMOVED
                removed.append(t)
        self._merge(activated, refound, lost, removed)
        return np.asarray([[*t.xyxy.tolist(), t.id, t.score, t.cls, t.idx] for t in self.tracked if t.activated],
                          np.float32)

    def _split(self, rows: np.ndarray) -> tuple[list[Track], list[Track]]:
        x1, y1, x2, y2 = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
        w, h = x2 - x1, y2 - y1
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        valid, score = (w > 0) & (h > 0), rows[:, 4]

        def tracks(mask):
            # float64 arithmetic, then float32, as ultralytics gets there
            return [Track(np.array([float(cx[i]) - float(w[i]) / 2, float(cy[i]) - float(h[i]) / 2, w[i], h[i]],
                                   np.float32), score[i], rows[i, 5], int(i)) for i in np.flatnonzero(mask)]
        return tracks(valid & (score >= HIGH)), tracks(valid & (score > LOW) & (score < HIGH))

    def _apply(self, matches, pool, dets, activated, refound) -> None:
        for t, d in matches:
            track = pool[t]
            if track.state == TRACKED:
                track.take(dets[d], self.frame_id)
                activated.append(track)
            else:
                track.take(dets[d], self.frame_id, again=True)
                refound.append(track)

    def _merge(self, activated, refound, lost, removed) -> None:
        self.tracked = joint(joint([t for t in self.tracked if t.state == TRACKED], activated), refound)
        ids = {t.id for t in self.tracked} | {t.id for t in self.removed}
        self.lost = [t for t in self.lost if t.id not in ids] + [t for t in lost if t.id not in ids]
        self.tracked, self.lost = deduplicate(self.tracked, self.lost)
        self.removed = (self.removed + removed)[-1000:]


def to_xyah(tlwh: np.ndarray) -> np.ndarray:
    out = np.asarray(tlwh).copy()
    out[:2] += out[2:] / 2
    out[2] /= out[3]
    return out


def predict(tracks: list[Track]) -> None:
    """Every track one frame ahead (a track not being tracked keeps its height still)."""
    if not tracks:
        return
    mean = np.asarray([t.mean for t in tracks])
    cov = np.asarray([t.cov for t in tracks])
    for i, t in enumerate(tracks):
        if t.state != TRACKED:
            mean[i][7] = 0
    h = mean[:, 3]
    ones = np.ones_like(h)
    sqr = np.square(np.r_[[POS * h, POS * h, 1e-2 * ones, POS * h, VEL * h, VEL * h, 1e-5 * ones, VEL * h]]).T
    noise = np.zeros((len(tracks), 8, 8))
    noise[:, range(8), range(8)] = sqr
    mean = np.dot(mean, MOTION.T)
    cov = np.dot(np.dot(MOTION, cov).transpose((1, 0, 2)), MOTION.T) + noise
    for t, m, c in zip(tracks, mean, cov, strict=True):
        t.mean, t.cov = m, c


def kalman_update(mean: np.ndarray, cov: np.ndarray, xyah: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h = mean[3]
    projected_cov = cov[:4, :4] + np.diag(np.square([POS * h, POS * h, 1e-1, POS * h]))
    gain = np.linalg.solve(projected_cov, cov[:, :4].T).T
    new_mean = mean + np.dot(xyah - mean[:4], gain.T)
    return new_mean, cov - np.linalg.multi_dot((gain, projected_cov, gain.T))


def iou(a: list[Track], b: list[Track]) -> np.ndarray:
    if not a or not b:
        return np.zeros((len(a), len(b)), np.float32)
    p = np.ascontiguousarray([t.xyxy for t in a], np.float32)
    q = np.ascontiguousarray([t.xyxy for t in b], np.float32)
    inter = ((np.minimum(p[:, None, 2], q[:, 2]) - np.maximum(p[:, None, 0], q[:, 0])).clip(0)
             * (np.minimum(p[:, None, 3], q[:, 3]) - np.maximum(p[:, None, 1], q[:, 1])).clip(0))
    union = ((q[:, 2] - q[:, 0]) * (q[:, 3] - q[:, 1]) + ((p[:, 2] - p[:, 0]) * (p[:, 3] - p[:, 1]))[:, None]
             - inter)
    return inter / (union + 1e-7)


def fused(tracks: list[Track], dets: list[Track]) -> np.ndarray:
    """IoU cost weighted by the detection's score."""
    cost = 1 - iou(tracks, dets)
    if cost.size == 0:
        return cost
    return 1 - (1 - cost) * np.array([d.score for d in dets])[None]


def assign(cost: np.ndarray, thresh: float):
    if cost.size == 0:
        return [], list(range(cost.shape[0])), list(range(cost.shape[1]))
    _, x, y = lap.lapjv(cost, extend_cost=True, cost_limit=thresh)
    return ([[i, j] for i, j in enumerate(x) if j >= 0], list(np.where(x < 0)[0]), list(np.where(y < 0)[0]))


def joint(a: list[Track], b: list[Track]) -> list[Track]:
    ids = {t.id for t in a}
    return a + [t for t in b if t.id not in ids]


def deduplicate(tracked: list[Track], lost: list[Track]) -> tuple[list[Track], list[Track]]:
    """A lost track that overlaps a tracked one nearly whole: the younger of the two goes."""
    close = np.where(1 - iou(tracked, lost) < 0.15)
    drop_a, drop_b = set(), set()
    for p, q in zip(*close, strict=True):
        if tracked[p].frame - tracked[p].start > lost[q].frame - lost[q].start:
            drop_b.add(q)
        else:
            drop_a.add(p)
    return ([t for i, t in enumerate(tracked) if i not in drop_a], [t for i, t in enumerate(lost) if i not in drop_b])
