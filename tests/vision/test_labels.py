"""Scoring a worker's candidates against an analyst's labels (vision/worker/labels.py): a
swaying camera moves every box of a moment together, never one box alone (#16)."""

from vision.worker import labels
from vision.worker.zones import Zone

ZONE = Zone.from_dict({"id": 1, "name": "kerb lane", "rule": "illegal_parking", "dwell_s": 4,
                       "polygon": [[0, 0], [400, 0], [400, 300], [0, 300]]})
PARKED = [{"what": "van", "zone": 1, "box": [100, 100, 160, 150], "stopped_s": 0.0, "required": True},
          {"what": "car", "zone": 1, "box": [200, 100, 250, 140], "stopped_s": 0.0, "required": True},
          {"what": "far car", "zone": 1, "box": [300, 60, 322, 77], "stopped_s": 0.0, "required": False}]


def clip(**data) -> labels.Clip:
    return labels.Clip("clip.mp4", [ZONE], PARKED, data)


def raised(*boxes, at="1970-01-01T00:00:04+00:00") -> list[dict]:
    return [{"zone": 1, "class": "car", "box": list(box), "last_seen_at": at} for box in boxes]


def moved(box, dx, dy):
    return [box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy]


def test_candidates_seen_in_a_swayed_view_match_once_the_whole_view_is_shifted_back():
    seen = raised(*(moved(p["box"], 5, 9) for p in PARKED))

    steady = labels.score(clip(), seen, 0.0)
    swaying = labels.score(clip(sway_px=[6, 16]), seen, 0.0)

    assert (steady.found, steady.false) == (2, 1)  # the small far car no longer overlaps its label enough
    assert (swaying.found, swaying.false, swaying.duplicates) == (2, 0, 0) and swaying.perfect


def test_one_box_out_of_place_is_not_moved_on_its_own():
    seen = raised(PARKED[0]["box"], PARKED[1]["box"], moved(PARKED[2]["box"], -6, 14))

    score = labels.score(clip(sway_px=[6, 16]), seen, 0.0)

    assert (score.found, score.false) == (2, 1)
    assert score.unmatched[0]["box"] == moved(PARKED[2]["box"], -6, 14)


def test_moments_are_lined_up_each_by_its_own_shift():
    seen = (raised(*(moved(p["box"], 4, 8) for p in PARKED[:2]), at="1970-01-01T00:00:04+00:00")
            + raised(moved(PARKED[2]["box"], 0, -13), at="1970-01-01T00:00:07+00:00"))

    score = labels.score(clip(sway_px=[6, 16]), seen, 0.0)

    assert (score.found, score.false, score.duplicates) == (2, 0, 0)


def test_only_a_required_object_raised_late_makes_the_run_late():
    far_late = raised(PARKED[2]["box"], at="1970-01-01T00:00:44+00:00")
    van_late = raised(PARKED[0]["box"], at="1970-01-01T00:00:12+00:00")

    on_time = labels.score(clip(), raised(PARKED[0]["box"], PARKED[1]["box"]) + far_late, 0.0)
    late = labels.score(clip(), van_late + raised(PARKED[1]["box"]), 0.0)

    assert (on_time.found, on_time.false, on_time.late_s) == (2, 0, 0.0) and on_time.perfect
    assert late.late_s == 8.0  # raised at 12 s, stopped at 0 with a 4 s dwell
