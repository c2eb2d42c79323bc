"""Cameras as they are sold: keyframe-only decoding of a main stream (always, or when the
keyframes come often enough for the sampling rate), and a detect substream beside a record
main stream whose keyframe gives the candidate's snapshot. Small H.264 clips made here."""

import functools
import http.server
import json
import os
import threading

import cv2
import numpy as np
import pytest

from demo import streams, synth
from tests.vision.conftest import WEIGHTS
from vision.worker import __main__ as cli
from vision.worker import decode as decoding
from vision.worker.capture import Frame, Source
from vision.worker.config import CameraConfig, WorkerConfig
from vision.worker.decode import KeyframeCapture, RecordStream
from vision.worker.detect import Detector
from vision.worker.pipeline import CameraPipeline, frame_of
from vision.worker.zones import Due, Track, Zone

FRAMES = 75  # 3 s at 25 fps
COMMITTED = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "video")


@pytest.fixture(scope="module")
def gop12(tmp_path_factory) -> str:
    """A keyframe every 12 frames (0.48 s): often enough for 2 fps."""
    path = str(tmp_path_factory.mktemp("clips") / "gop12.mp4")
    streams.encode(path, streams.numbered(FRAMES), (320, 180), gop=12)
    return path


@pytest.fixture(scope="module")
def gop50(tmp_path_factory) -> str:
    """A keyframe every 50 frames (2 s), as many cameras are set."""
    path = str(tmp_path_factory.mktemp("clips") / "gop50.mp4")
    streams.encode(path, streams.numbered(FRAMES), (320, 180), gop=50)
    return path


def sampled(path, decode, fps=2.0, deblock=False):
    """The sampled frames of `path` read the way `decode` says (`deblock`: "sampled" with every
    frame deblocked, the pictures OpenCV gives)."""
    opener = (lambda s: decoding.sampled(s, fps, deblock=True)) if deblock else None
    source = Source("C", path, fps, start_at=0.0, decode=decode, opener=opener)
    frames = list(source.frames())
    return source, [round(f.t, 2) for f in frames], [f.image for f in frames]


def test_keyframes_only_decodes_a_twelfth_and_samples_the_same_frames_as_every_frame(gop12):
    every, times, images = sampled(gop12, "all")
    keys, key_times, key_images = sampled(gop12, "keyframes")
    assert times == key_times == [0.0, 0.48, 0.96, 1.44, 1.92, 2.4, 2.88]
    assert every.decoded == FRAMES and keys.decoded == 7
    for a, b in zip(images, key_images, strict=True):
        assert np.abs(a.astype(int) - b.astype(int)).mean() < 3  # the same pictures


def test_auto_goes_keyframe_only_after_the_first_gop_when_keyframes_come_often_enough(gop12):
    auto, times, _ = sampled(gop12, "auto")
    assert times == [0.0, 0.48, 0.96, 1.44, 1.92, 2.4, 2.88]
    assert auto.decoded < 12 + 2 + 7  # the first GOP whole, then keyframes only


def test_auto_decodes_every_frame_when_keyframes_are_further_apart_than_the_sampling(gop50):
    auto, times, _ = sampled(gop50, "auto")
    assert auto.decoded == FRAMES
    assert times == sampled(gop50, "all")[1] == [0.0, 0.48, 0.96, 1.44, 1.92, 2.4, 2.88]


def test_forced_keyframes_sample_at_the_keyframe_rate(gop50):
    keys, times, _ = sampled(gop50, "keyframes")
    assert times == [0.0, 2.0] and keys.decoded == 2


def test_sampling_skips_the_b_frames_between_samples_and_samples_the_same_pictures(tmp_path):
    clip = str(tmp_path / "bframes.mp4")
    streams.encode(clip, streams.numbered(FRAMES), (320, 180), gop=20, bframes=3)
    every, times, images = sampled(clip, "all")
    fewer, fewer_times, fewer_images = sampled(clip, "sampled", deblock=True)
    assert fewer_times == times == [0.0, 0.48, 0.96, 1.44, 1.92, 2.4, 2.88]
    assert every.decoded == FRAMES and fewer.decoded < FRAMES * 0.6  # the B-frames and the GOPs' tails
    assert all((a == b).all() for a, b in zip(images, fewer_images, strict=True))


def test_sampling_skips_deblocking_but_on_keyframes_and_stays_within_35_db_of_the_filtered_pictures(tmp_path):
    # Real street frames with B-frames, as web video comes: the unfiltered references drift
    # through a GOP, a little.
    clip = str(tmp_path / "street.mp4")
    real = os.path.join(COMMITTED, "street_parked_both_kerbs.mp4")
    streams.encode(clip, streams.clip_frames(real, 25, 4.0), (640, 360), gop=50, bframes=3)
    _, times, filtered = sampled(clip, "sampled", deblock=True)
    _, fast_times, fast = sampled(clip, "sampled")
    assert fast_times == times == [0.0, 0.48, 0.96, 1.44, 1.92, 2.4, 2.88, 3.36, 3.84]
    psnr = [cv2.PSNR(a, b) for a, b in zip(filtered, fast, strict=True)]
    assert (filtered[0] == fast[0]).all()  # a keyframe: deblocked
    assert min(psnr) >= 35 and any(value < 60 for value in psnr[1:]), psnr  # deblocking skipped after it


def test_sampling_an_open_gop_decodes_what_the_next_gop_refers_back_to(tmp_path):
    # A keyframe every 20 frames, the two B-frames before each shown after it and predicted
    # from the GOP before; sampled every 19th frame, frames 19 and 38 are such B-frames.
    clip = str(tmp_path / "open.mp4")
    streams.encode(clip, streams.numbered(FRAMES), (320, 180), gop=20, bframes=3, open_gop=True)
    _, times, images = sampled(clip, "all", fps=25 / 19)
    fewer, fewer_times, fewer_images = sampled(clip, "sampled", fps=25 / 19, deblock=True)
    assert fewer_times == times == [0.0, 0.76, 1.52, 2.28]
    assert fewer.decoded < FRAMES
    assert all((a == b).all() for a, b in zip(images, fewer_images, strict=True))


def test_sampling_a_stream_without_b_frames_decodes_each_gop_up_to_its_last_sample(gop50):
    # Samples at frames 0, 12, 24, 36, 48 | 60, 72: frame 49 ends the first GOP and 73-74 the
    # clip, after their GOP's last sample.
    whole, times, images = sampled(gop50, "sampled", deblock=True)
    _, every_times, every_images = sampled(gop50, "all")
    assert whole.decoded == FRAMES - 3 and times == every_times
    assert all((a == b).all() for a, b in zip(every_images, images, strict=True))
    assert CameraConfig.from_dict({"code": "C", "source": "x.mp4"}).decode == "sampled"  # the default


def test_an_unknown_decode_mode_is_refused():
    with pytest.raises(ValueError, match="decode"):
        CameraConfig.from_dict({"code": "C", "source": "x.mp4", "decode": "sometimes"})


def test_the_command_line_gives_a_record_stream_and_a_decode_mode(tmp_path):
    config = tmp_path / "w.json"
    config.write_text(json.dumps({"cameras": [{"code": "C1", "source": "sub.mp4"}, {"code": "C2", "source": "main.mp4",
                                                                                  "decode": "all"}]}))
    built = cli.build_config(cli.parse(["--config", str(config), "--record", "C1=rtsp://cam/main", "--decode", "auto"]))
    first, second = built.cameras
    assert (first.record_source, first.decode) == ("rtsp://cam/main", "auto")
    assert (second.record_source, second.decode) == (None, "all")  # its own config wins


@pytest.mark.parametrize("size, hevc", [((1280, 720), False),
                                        pytest.param((3840, 2160), True, marks=pytest.mark.slow)], ids=["720p-h264", "4k-h265"])
def test_the_snapshot_comes_from_the_main_streams_keyframe_at_full_size(tmp_path, size, hevc):
    street = synth.background()
    sub, main = str(tmp_path / "sub.mp4"), str(tmp_path / "main.mp4")
    streams.encode(sub, [street] * 50, (640, 360), gop=25)
    streams.encode(main, [street] * 50, size, gop=25, hevc=hevc)
    record = RecordStream(main, start_at=100.0)
    t, image = record.at(101.1)
    assert (t, image.shape[1::-1]) == (101.0, size) and record.keyframes == 2  # read up to the one after 101.1
    assert record.codec[0] == ("hevc" if hevc else "h264")

    camera = CameraConfig("C", sub, [Zone(1, synth.NO_PARKING)], start_at=100.0, record_source=main)
    pipe = CameraPipeline(camera, {0: "car"})
    frame = next(Source("C", sub, 2.0, start_at=100.0).frames())
    pipe.frame_size = (640, 360)
    box = (400.0, 180.0, 560.0, 290.0)
    data, files = pipe.candidate(Due(zone=camera.zones[0], track=Track(7, "car", 0.9, box), started_at=100.0,
                                     box=box, score=0.9), frame)
    snap = cv2.imdecode(np.frombuffer(files["snapshot.jpg"], np.uint8), cv2.IMREAD_COLOR)
    assert snap.shape[1::-1] == size and data["frame_size"] == [640, 360] and data["box"] == list(box)
    # the box is drawn where the object is at the main stream's scale (red)
    scale = size[0] / 640
    assert snap[int(box[1] * scale) + 1, int((box[0] + box[2]) / 2 * scale), 2] > 180
    record.close()
    pipe.record.close()


@pytest.mark.slow
def test_a_4k_h265_main_stream_alone_is_sampled_whole_or_by_its_keyframes(tmp_path):
    main = str(tmp_path / "main.mp4")
    streams.encode(main, streams.clip_frames(os.path.join(COMMITTED, "parking_lot_passing.mp4"), 25, 2.0),
                   (3840, 2160), gop=25, hevc=True)
    every, times, images = sampled(main, "sampled")
    assert times == [0.0, 0.48, 0.96, 1.44, 1.92] and {i.shape for i in images} == {(2160, 3840, 3)}
    keys, key_times, key_images = sampled(main, "keyframes")
    assert key_times == [0.0, 1.0] and keys.decoded == 2
    assert cv2.PSNR(key_images[0], images[0]) > 40  # the same picture (the first keyframe)


def test_the_candidates_raised_on_one_frame_share_its_picture_and_strips_not_their_snapshots():
    street = synth.background()
    pipe = CameraPipeline(CameraConfig("C", "street.mp4", [Zone(1, synth.NO_PARKING)]), {0: "car"})
    for t in (0.0, 5.0, 10.0):
        pipe.ring.add(t, street)

    def raise_(box, started_at, frame):
        due = Due(zone=pipe.camera.zones[0], track=Track(1, "car", 0.9, box), started_at=started_at, box=box, score=0.9)
        return pipe.candidate(due, frame)[1]

    frame = frame_of(street, 10.0)
    boxes = [(100.0, 200.0, 200.0, 280.0), (300.0, 200.0, 400.0, 280.0), (400.0, 180.0, 560.0, 290.0)]
    first, second, third = (raise_(b, s, frame) for b, s in zip(boxes, (0.0, 0.0, 5.0), strict=True))
    assert first["frame.jpg"] is second["frame.jpg"] is third["frame.jpg"]  # encoded once
    assert first["strip.jpg"] is second["strip.jpg"] and third["strip.jpg"] != first["strip.jpg"]  # its own start
    assert len({first["snapshot.jpg"], second["snapshot.jpg"], third["snapshot.jpg"]}) == 3  # each its own box
    darker = raise_(boxes[0], 0.0, frame_of(street // 2, 10.5))  # the next frame: its own picture
    assert darker["frame.jpg"] != first["frame.jpg"]


def test_a_camera_without_a_record_stream_snapshots_its_own_frame(gop12):
    pipe = CameraPipeline(CameraConfig("C", gop12, [Zone(1, synth.NO_PARKING)]), {0: "car"})
    image = np.zeros((180, 320, 3), np.uint8)
    assert pipe.sharpest(frame_of(image, 5.0))[1] == 1.0


def test_a_stream_that_cannot_be_opened_says_so(tmp_path):
    assert not KeyframeCapture(str(tmp_path / "missing.mp4")).isOpened()


@pytest.mark.django_db
def test_the_server_tells_the_worker_a_cameras_main_stream_and_decoding(zone, worker_key):
    from rest_framework.test import APIClient

    camera = zone.camera
    camera.stream_url, camera.record_url, camera.decode = "rtsp://cam/sub", "rtsp://cam/main", "auto"
    camera.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {worker_key.plain_key}")
    told = CameraConfig.from_dict(client.get("/api/v1/vision/worker/config/").json()["cameras"][0])
    assert (told.source, told.record_source, told.decode) == ("rtsp://cam/sub", "rtsp://cam/main", "auto")


def test_a_reader_says_at_once_that_its_file_has_ended(gop50):
    """The pipeline waits for a camera's next frame; after a file's last sample the reader
    still reads to the end, then queues END, so that nobody waits for a frame that will
    not come (nor for a timeout)."""
    from vision.worker.capture import END, Reader

    reader = Reader(Source("C", gop50, 2.0, start_at=0.0))
    reader.start()
    items = []
    while not items or items[-1] is not END:
        items.append(reader.queue.get(timeout=30))  # raises Empty, failing, without END
    reader.join(5)
    assert [round(f.t, 2) for f in items[:-1]] == sampled(gop50, "all")[1]
    assert reader.done() and reader.next(0.01) is None


def test_a_workers_files_share_a_read_ahead_and_a_live_stream_keeps_its_newest_frame(gop50, monkeypatch):
    from vision.worker import pipeline
    from vision.worker.capture import READ_AHEAD, Reader

    ahead = Reader(Source("C", gop50, 2.0, start_at=0.0), 4)
    ahead.start()
    ahead.join(10)  # blocked on its full queue, its file not read to the end
    assert ahead.is_alive() and ahead.queue.qsize() == 4
    ahead.source.stop.set()
    assert Reader(Source("L", "rtsp://camera.invalid/live", 2.0), 4).queue.maxsize == 1
    if not os.path.isdir(WEIGHTS):
        pytest.skip("the shared YOLO11n weights are not here")
    detector, made = Detector(WEIGHTS), []
    monkeypatch.setattr(pipeline, "Reader", lambda source, n: made.append(n) or Reader(source, n))
    for cameras in (1, 3, 20):
        made.clear()
        config = WorkerConfig(cameras=[CameraConfig(f"C{i}", gop50, [], 2.0, start_at=0.0) for i in range(cameras)])
        pipeline.Worker(config, lambda *args: None, detector=detector).run(max_seconds=-1.0)
        assert made == [max(1, READ_AHEAD // cameras)] * cameras


def test_a_recording_with_uneven_frame_intervals_is_timed_by_its_frames_own_times(tmp_path):
    """An NVR export whose frames come 40 ms apart, then 120 ms apart (the recorder fell
    behind), under one header rate: each sampled frame is timed when it was shown, so that a
    dwell clock runs in seconds of the street, not in frames (the real one: ParkingSpace's
    Demo/exp2.mp4, 710 frames over 47.2 s under a 25 fps header, was read as 28.4 s)."""
    import fractions

    import av

    path, shown = str(tmp_path / "uneven.mp4"), []
    with av.open(path, "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 240, 96, "yuv420p"
        stream.codec_context.time_base = fractions.Fraction(1, 1000)
        stream.options = {"g": "50", "bf": "0", "tune": "zerolatency"}
        ms = 0
        for n in range(60):
            image = np.zeros((96, 240, 3), np.uint8)
            image[:, 4 * n:4 * n + 4] = 255  # its number: a bar at 4 px a frame
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts, frame.time_base = ms, fractions.Fraction(1, 1000)
            shown.append(ms / 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
            ms += 40 if n < 30 else 120
        for packet in stream.encode():
            container.mux(packet)
    frames = list(Source("C", path, 2.0, start_at=0.0, decode="all").frames())
    numbers = [int(np.argmax(f.image.mean(axis=(0, 2)))) // 4 for f in frames]
    assert numbers[-1] >= 55 and len(frames) >= 9, numbers  # sampled to the end, about every half second
    for frame, n in zip(frames, numbers, strict=True):
        assert abs(frame.t - shown[n]) <= 0.05, (n, frame.t, shown[n])


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served(tmp_path):
    """A live camera as FFmpeg reads one over HTTP: an MPEG-TS stream served by a thread."""
    streams.encode(str(tmp_path / "live.ts"), streams.numbered(FRAMES), (320, 180), gop=25)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_live_stream_is_decoded_whole_by_pyav_and_only_its_samples_become_frames(served):
    url = f"{served}/live.ts"
    assert isinstance(decoding.sampled(url, 2.0), KeyframeCapture)  # not OpenCV
    source = Source("C", url, sample_fps=2.0, backoff=(0.01, 0.02), decode="sampled", stop=threading.Event())
    got = []
    for frame in source.frames():
        got.append(frame)
        if source.reconnects:  # the stream ended (served whole, in a fraction of a second)
            source.stop.set()
    assert source.decoded >= FRAMES and len(got) < 5  # every frame of the first pass decoded, one or two sampled
    assert got[0].image.shape == (180, 320, 3) and got[0].grey.shape == (180, 320)


def test_a_frame_from_pyav_is_turned_into_bgr_only_when_its_image_is_asked_for(gop12):
    capture = KeyframeCapture(gop12, "sampled", 2.0)
    assert capture.grab()
    calls = []

    class Decoded:  # PyAV's frame, its conversions counted
        width, height = capture.frame.width, capture.frame.height

        def to_ndarray(self, format):  # noqa: A002 - PyAV's name
            calls.append(format)
            return capture.frame.to_ndarray(format=format)

    frame = Frame("C", 1, 0.0, decoded=Decoded())
    assert frame.size == (320, 180) and frame.grey.shape == (180, 320) and calls == ["gray"]
    assert frame.image.shape == (180, 320, 3) and frame.image is frame.image and calls == ["gray", "bgr24"]
    assert np.abs(frame.grey.astype(int) - cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY)).mean() < 2
    capture.release()


def test_a_live_stream_pyav_cannot_open_is_retried_not_read_by_opencv(served):
    source = Source("C", f"{served}/missing.ts", backoff=(0.01, 0.02), decode="sampled", stop=threading.Event())
    frames = source.frames()
    thread = threading.Thread(target=lambda: next(frames, None), daemon=True)
    thread.start()
    thread.join(1.0)
    source.stop.set()
    thread.join(5.0)
    assert source.reconnects >= 2 and source.decoded == 0
