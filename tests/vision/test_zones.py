"""The zone rules as pure functions, with plain values."""

import pytest

from vision.worker.zones import (
    BICYCLES,
    ILLEGAL_PARKING,
    PRESENT,
    VENDING,
    Presence,
    Track,
    Zone,
    ZoneRules,
    anchor,
    dwell_reached,
    inside,
    step,
    suppressed,
)

SQUARE = ((100, 100), (300, 100), (300, 300), (100, 300))


def car(track_id=1, x=200, bottom=250, cls="car", score=0.9, height=80):
    return Track(track_id, cls, score, (x - 40, bottom - height, x + 40, bottom))


def run(rules, frames):
    """frames: [(t, [tracks])] → every Due raised."""
    out = []
    for t, tracks in frames:
        out += rules.update(tracks, t)
    return out


def test_the_anchor_is_the_bottom_centre_of_the_box():
    assert anchor((10, 20, 30, 60)) == (20, 60)


def test_point_in_polygon():
    assert inside((200, 200), SQUARE)
    assert not inside((50, 200), SQUARE)
    assert not inside((200, 350), SQUARE)


def test_an_object_is_in_the_zone_only_after_the_inertia_frames():
    zone = Zone(1, SQUARE, inertia=3)
    p = None
    for t in range(3):
        p = step(p, zone, car(), float(t))
        assert p.in_zone(zone) == (t == 2)


def test_a_brief_step_outside_keeps_the_presence_and_inertia_frames_outside_end_it():
    zone = Zone(1, SQUARE, inertia=3)
    p = None
    for t in range(4):
        p = step(p, zone, car(), float(t))
    p = step(p, zone, car(bottom=350), 4.0)
    assert p is not None and p.first_inside == 0.0
    p = step(p, zone, car(bottom=350), 5.0)
    assert step(p, zone, car(bottom=350), 6.0) is None


def test_jitter_within_the_tolerance_is_stationary_and_a_real_move_restarts_the_clock():
    zone = Zone(1, SQUARE, dwell_s=10, tolerance=0.15)  # 0.15 × 80 px = 12 px
    p = None
    for t in range(12):
        p = step(p, zone, car(x=200 + (t % 3) * 4), float(t))  # ±8 px of jitter
    assert p.settled_at == 0.0 and dwell_reached(p, zone, 11.0)
    p = step(p, zone, car(x=240), 12.0)
    assert p.settled_at == 12.0 and not dwell_reached(p, zone, 13.0)


def test_illegal_parking_raises_once_per_track_after_the_dwell_time():
    rules = ZoneRules([Zone(7, SQUARE, ILLEGAL_PARKING, dwell_s=10)])
    due = run(rules, [(t * 0.5, [car()]) for t in range(60)])
    assert len(due) == 1
    assert (due[0].zone.id, due[0].track.id, due[0].started_at) == (7, 1, 0.0)


def test_a_vehicle_that_keeps_moving_raises_nothing_nor_does_a_person():
    rules = ZoneRules([Zone(1, SQUARE, ILLEGAL_PARKING, dwell_s=5)])
    moving = [(t * 0.5, [car(x=110 + t * 4)]) for t in range(45)]
    standing_person = [(30 + t * 0.5, [car(2, cls="person")]) for t in range(40)]
    assert run(rules, moving + standing_person) == []


def test_a_parked_car_found_again_under_a_new_track_id_is_not_raised_twice_within_the_cooldown():
    rules = ZoneRules([Zone(1, SQUARE, dwell_s=5, cooldown_s=120)])
    first = run(rules, [(t, [car(1)]) for t in range(10)])
    again = run(rules, [(10 + t, [car(2, x=203)]) for t in range(20)])  # occluded, new id, same spot
    elsewhere = run(rules, [(30 + t, [car(3, x=120)]) for t in range(10)])
    assert len(first) == 1 and again == [] and len(elsewhere) == 1


def test_suppressed_only_within_the_cooldown():
    zone = Zone(1, SQUARE, cooldown_s=60)
    recent = [(0.0, (200.0, 250.0), 80.0)]
    assert suppressed(recent, car(9), zone, 59.0)
    assert not suppressed(recent, car(9), zone, 61.0)


def test_disordered_bicycles_need_the_minimum_count_and_raise_one_candidate_for_the_pile():
    rules = ZoneRules([Zone(2, SQUARE, BICYCLES, dwell_s=3, min_count=3, cooldown_s=300)])
    two = [Track(i, "bicycle", 0.8, (100 + 40 * i, 200, 130 + 40 * i, 240)) for i in (1, 2)]
    assert run(rules, [(t, two) for t in range(10)]) == []
    three = two + [Track(3, "bicycle", 0.7, (230, 200, 260, 240))]
    due = run(rules, [(10 + t, three) for t in range(10)])
    assert len(due) == 1 and set(due[0].members) == {1, 2, 3}
    assert due[0].box == (140.0, 200.0, 260.0, 240.0)


def test_vending_needs_a_person_in_the_zone():
    zone = Zone(3, SQUARE, VENDING, dwell_s=5)
    umbrella = Track(1, "umbrella", 0.6, (150, 150, 250, 260))
    alone = ZoneRules([zone])
    assert run(alone, [(t, [umbrella]) for t in range(10)]) == []
    attended = ZoneRules([zone])
    vendor = Track(2, "person", 0.9, (240, 150, 280, 280))
    due = run(attended, [(t, [umbrella, vendor]) for t in range(10)])
    assert [d.track.cls for d in due] == ["umbrella"]


def test_present_counts_time_in_the_zone_moving_or_not():
    rules = ZoneRules([Zone(4, SQUARE, PRESENT, classes=("refuse pile",), dwell_s=4)])
    due = run(rules, [(t, [Track(1, "refuse pile", 0.5, (150 + t * 5, 200, 190 + t * 5, 240))]) for t in range(8)])
    assert len(due) == 1


def test_a_zone_refuses_an_unknown_rule_or_a_present_rule_without_classes():
    with pytest.raises(ValueError):
        Zone(1, SQUARE, "loitering")
    with pytest.raises(ValueError):
        Zone(1, SQUARE, PRESENT)
    with pytest.raises(ValueError):
        Zone(1, ((0, 0), (1, 1)))


def test_a_track_that_was_lost_is_forgotten_after_the_grace_time():
    rules = ZoneRules([Zone(1, SQUARE, dwell_s=100)], lost_grace_s=10)
    run(rules, [(t, [car()]) for t in range(5)])
    assert rules.alive()
    run(rules, [(5 + t, []) for t in range(12)])
    assert not rules.alive()


def test_presence_is_plain_data():
    p = Presence(first_inside=1.0)
    assert p.frames_inside == 1 and p.stationary_s(3.0) == 3.0
