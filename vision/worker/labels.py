"""Hand-made labels of a real clip, and the score of a worker's candidates against them.

A clip's labels are a JSON file beside it (see fixtures/video/README.md): its zones, and the
objects an analyst saw park in them (`parked`: zone, box at the time it stood, when it stopped
and left, in seconds from the clip's start; `required`: false for one too small or too hidden
to insist on, neither missed nor late when it is found late or not at all). A candidate is an
object's when it is in that object's zone and its box overlaps the labelled box (IoU ≥
`match_iou`). A camera on a swaying mount (`sway_px`: how far, across and up or down, its view
strays from the labelled frame) moves all its boxes at once: the candidates raised at one moment
are matched after the one shift of the whole view, within that range, that lines them up best
with the labels; no box is moved on its own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field

from vision.worker.zones import Zone
from vision.worker.zones import box_iou as iou


@dataclass
class Clip:
    path: str
    zones: list[Zone]
    parked: list[dict]
    data: dict = field(default_factory=dict)


def load(labels_path: str) -> Clip:
    """The clip and its labels (the clip lies beside its JSON, under the name it gives)."""
    with open(labels_path, encoding="utf-8") as handle:
        data = json.load(handle)
    path = os.path.join(os.path.dirname(labels_path), data["clip"])
    zones = [Zone.from_dict(z) for z in data["zones"]]
    return Clip(path, zones, data["parked"], data)


@dataclass
class Score:
    found: int = 0
    required: int = 0
    false: int = 0
    duplicates: int = 0
    late_s: float = 0.0  # the worst delay past stopped + dwell of the required objects found
    missed: list[str] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)

    @property
    def perfect(self) -> bool:
        return self.found == self.required and self.false == 0 and self.duplicates == 0


def seconds(value: str, start_at: float) -> float:
    return dt.datetime.fromisoformat(value).timestamp() - start_at


def score(clip: Clip, candidates: list[dict], start_at: float, match_iou: float = 0.3) -> Score:
    """How the candidates of a run over the clip (timed from `start_at`) meet its labels."""
    dwell = {z.id: z.dwell_s for z in clip.zones}
    out = Score(required=sum(1 for p in clip.parked if p.get("required", True)))
    hits: dict[int, list[float]] = {}
    shifts = {moment: view_shift(clip, [c for c in candidates if c["last_seen_at"] == moment], match_iou)
              for moment in {c["last_seen_at"] for c in candidates}}
    for c in candidates:
        raised = seconds(c["last_seen_at"], start_at)
        best, best_iou = closest(clip, c, shifts[c["last_seen_at"]], match_iou)
        if best is None:
            out.false += 1
            out.unmatched.append({k: c[k] for k in ("zone", "class", "box", "last_seen_at")})
        else:
            hits.setdefault(best, []).append(raised)
    for i, p in enumerate(clip.parked):
        times = hits.get(i, [])
        out.duplicates += max(0, len(times) - 1)
        if times and p.get("required", True):
            out.found += 1
            out.late_s = max(out.late_s, min(times) - p["stopped_s"] - dwell[p["zone"]])
        elif p.get("required", True):
            out.missed.append(p["what"])
    return out


def shifted(box, shift: tuple[int, int]) -> list[float]:
    return [box[0] + shift[0], box[1] + shift[1], box[2] + shift[0], box[3] + shift[1]]


def closest(clip: Clip, candidate: dict, shift: tuple[int, int], match_iou: float) -> tuple[int | None, float]:
    """The labelled object of the candidate's zone its box overlaps most (at least `match_iou`)
    in the view shifted by `shift`, and that overlap."""
    best, best_iou = None, match_iou
    for i, p in enumerate(clip.parked):
        overlap = iou(candidate["box"], shifted(p["box"], shift))
        if p["zone"] == candidate["zone"] and overlap >= best_iou:
            best, best_iou = i, overlap
    return best, best_iou


def view_shift(clip: Clip, moment: list[dict], match_iou: float) -> tuple[int, int]:
    """The shift of the whole labelled view, within the clip's `sway_px`, under which the
    candidates raised at one moment overlap their labelled objects most (no shift without a
    sway, nor on a tie with no shift)."""
    across, up_down = clip.data.get("sway_px", (0, 0))

    def overlap(shift: tuple[int, int]) -> float:
        return sum(best_iou for best, best_iou in (closest(clip, c, shift, match_iou) for c in moment)
                   if best is not None)

    shifts = [(dx, dy) for dx in range(-across, across + 1) for dy in range(-up_down, up_down + 1)]
    return max(shifts, key=lambda shift: (overlap(shift), shift == (0, 0)))
