"""Authorization-matrix rows (see test_authz_matrix.py) for the media routes: uploads, videos,
jobs. Written by the api core helper from the media tests; the media owner may extend them."""
import base64

TUS = {"Tus-Resumable": "1.0.0"}


def new_upload(owner):
    r = owner.post("/v1/uploads", headers=dict(TUS, **{"Upload-Length": "3"}))
    assert r.status_code == 201, r.text
    return {"id": r.headers["Location"].rsplit("/", 1)[1]}


def new_video(owner):
    r = owner.post("/v1/videos", data=b"\x00" * 512, headers={"Content-Type": "video/mp4"})
    assert r.status_code == 201, r.text
    body = r.json()
    return {"id": body["video_id"], "job": body["job_id"]}


def new_job(owner):
    return {"id": new_video(owner)["job"]}


ROWS = {
    "uploads.get": {"setup": new_upload, "request": lambda p: {"headers": dict(TUS)},
                    "owner_status": {200}},
    "uploads.patch": {
        "setup": new_upload,
        "request": lambda p: {"headers": dict(TUS, **{"Upload-Offset": "0",
                                                      "Content-Type": "application/offset+octet-stream"}),
                              "data": b"abc"},
        "owner_status": {204},
    },
    "uploads.delete": {"setup": new_upload, "request": lambda p: {"headers": dict(TUS)},
                       "owner_status": {204}},
    "videos.get": {"setup": new_video, "owner_status": {200}},
    "videos.delete": {"setup": new_video, "owner_status": {204}},
    "videos.original": {"setup": new_video, "owner_status": {200}},
    "videos.media_links": {"setup": new_video, "owner_status": {200}},
    # "analyse again as...": 202, or 409 while the upload's own analysis is still queued
    "videos.analyze": {"setup": new_video, "request": lambda p: {"json": {"exercise": "squat"}},
                       "owner_status": {202, 409}},
    # the overlay needs an analysis: the upload here is not a video, so 409 for the owner
    "videos.render": {"setup": new_video, "owner_status": {202, 409}},
    # overlay / thumbnails exist only after a successful analysis; the upload here is not a
    # video, so the owner may see 404 too: the row still proves other users and anonymous
    # callers are refused.
    "videos.overlay": {"setup": new_video, "owner_status": {200, 404}},
    "videos.thumb": {"setup": lambda o: dict(new_video(o), which="best"),
                     "owner_status": {200, 404}},
    # report / landmark track exist only after a successful analysis (same as overlay)
    "videos.report": {"setup": new_video, "owner_status": {200, 404}},
    "videos.landmarks": {"setup": new_video, "owner_status": {200, 404}},
    "jobs.get": {"setup": new_job, "owner_status": {200}},
    "jobs.events": {"setup": new_job, "request": lambda p: {"stream": True, "timeout": 60},
                    "owner_status": {200}},
}
