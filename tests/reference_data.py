"""Random raw data for test_reference: every source table of the contract, drawn to hit the
rules metrics.md spells out (ties on every tie rule, window and period edges to the second,
JSON that is not an integer or not an object, NULL groups, re-crawls, stories, rows after
the run's end and before the models' start, ids without an account row). Seeded: the same
seed always gives the same rows."""
from __future__ import annotations

import datetime as dt
import json
import os
import random

# The run's end: on a 15-minute boundary by default; STIR_REFERENCE_T (e.g. '2026-06-15 12:07:13',
# as reference_check.py --end sets it) moves it, and every time drawn below moves with it.
T = dt.datetime.fromisoformat(os.environ.get("STIR_REFERENCE_T", "2026-06-15 12:00:00"))
HISTORY_START = dt.datetime(2026, 1, 1)
DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)

COUNTRIES = ["IN", "US", None]
CATEGORIES = ["Tech", "Fashion", None]
LANGUAGES = ["Hindi", "English", None]
# Follower counts on the edges of every group and tier.
EDGES = [0, 0, 500, 999, 1000, 4999, 5000, 9999, 10000, 49999, 74999, 75000, 99999, 100000, 499999, 500000,
         999999, 1000000, 2500000]
TAGS = ["Fitness", "fitness", " fitness ", "FOOD", "food", "travel", "", " ", "Üppig", "üppig", "a b", "zeta",
        "alpha", "Beta", "beta ", "xxx"]
# A JSON value of each kind metrics.md tells apart: only "int" is a JSON integer.
VALUE_KINDS = ["int"] * 6 + ["float", "str", "null", "absent", "bool", "exp"]


def ts(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S")


class _Draw:
    """The random choices, and row ids that never repeat within a table."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.next_id = 1000

    def id(self) -> int:
        self.next_id += self.r.randint(1, 3)
        return self.next_id

    def uuid(self) -> str:
        return f"00000000-0000-4000-8000-{self.r.randint(0, 10**12):012d}"

    def near_t(self) -> dt.datetime:
        """A time around the 30-day window before T, its edges included."""
        c = self.r.random()
        if c < 0.25:
            return [T - 30 * DAY, T - 30 * DAY - SECOND, T, T - SECOND][int(c / 0.0625)]
        return T - self.r.randint(0, 40 * 86400) * SECOND

    def in_history(self) -> dt.datetime:
        """A time in the months before T: on week and month edges, after T, before 2024, or anywhere."""
        c = self.r.random()
        if c < 0.05:
            return T + self.r.randint(1, 20) * DAY
        if c < 0.15:
            day = HISTORY_START + self.r.randint(0, 160) * DAY
            sunday = day - ((day.weekday() + 1) % 7) * DAY
            first = day.replace(day=1)
            return self.r.choice([sunday, sunday - SECOND, first, first - SECOND])
        if c < 0.2:
            return dt.datetime(2023, 11, self.r.randint(1, 30), 5)
        return HISTORY_START + self.r.randint(0, 166 * 86400) * SECOND

    def metrics(self, keys: list[str]) -> str:
        if self.r.random() < 0.03:
            return "not json"
        if self.r.random() < 0.05:
            return '{"followers": 1e3, "views": 2E5}'
        found = {}
        for key in keys:
            kind = self.r.choice(VALUE_KINDS)
            if kind == "exp":
                return json.dumps(found)[:-1] + (", " if found else "") + f'"{key}": 1e3}}'
            if kind != "absent":
                found[key] = {"int": self.r.randint(0, 3000000), "float": 1640.0, "str": "1640", "null": None,
                              "bool": True}[kind]
        return json.dumps(found)


def _events(d: _Draw, platform: str, pid: str, keys: list[str], when) -> list[dict]:
    rows = []
    for _ in range(d.r.choice([0, 1, 3, 8, 20])):
        row = {"event_id": d.uuid(), "platform": platform, "profile_id": pid, "metrics": d.metrics(keys),
               "insert_timestamp": ts(when())}
        rows.append(row)
        if d.r.random() < 0.2:   # another event at the same second
            rows.append(dict(row, event_id=d.uuid(),
                             metrics=json.dumps({k: d.r.randint(0, 3000000) for k in keys if d.r.random() < 0.7})))
    return rows


def _discovery(d: _Draw, out: dict, n_ig: int, n_yt: int) -> None:
    """Profiles crawled in the 200 days before T, their posts and events around the windows."""
    for i in range(n_ig):
        pid = f"{100000 + i}"
        base = d.r.choice(EDGES) if d.r.random() < 0.3 else int(10 ** d.r.uniform(0, 6.5))
        times = sorted(T - d.r.randint(0, 200 * 86400) * SECOND for _ in range(d.r.choice([1, 1, 2, 3])))
        if len(times) > 1 and d.r.random() < 0.3:
            times[-1] = times[-2]   # a tie on updated_at: the greater id wins
        for j, at in enumerate(times):
            row = {"id": d.id(), "profile_id": pid, "handle": d.r.choice([f"H{pid}", f"h_{pid}"]),
                   "full_name": d.r.choice(["Ann Lee", "", "ÉLISE Ünal", "Bob", "  Spaces  "]), "biography": "",
                   "followers": max(0, base + d.r.randint(-50, 50) * j), "following": d.r.randint(0, 1000),
                   "media_count": d.r.randint(0, 500), "is_verified": d.r.choice([0, 1, 2]), "is_business": 0,
                   "category": d.r.choice(CATEGORIES), "language": d.r.choice(LANGUAGES),
                   "country": d.r.choice(COUNTRIES), "city": d.r.choice(["Pune", None]),
                   "profile_pic_url": d.r.choice(["", f"pic{pid}"]), "created_at": ts(at), "updated_at": ts(at)}
            if j == len(times) - 1 and d.r.random() < 0.3:
                row["followers"] = base
            out["beat_replica.instagram_account"].append(row)
            if d.r.random() < 0.1:
                out["beat_replica.instagram_account"].append(dict(row))   # an identical row
        for k in range(d.r.choice([0, 1, 3, 8, 12, 13, 16])):
            published = T - 3 * DAY if k and d.r.random() < 0.2 else d.near_t()   # ties: shortcode decides
            first_type = d.r.choice(["reels", "image", "carousel", "story"])
            for crawl in range(d.r.choice([1, 1, 2])):
                updated = published + d.r.randint(0, 5 * 86400) * SECOND + crawl * SECOND
                out["beat_replica.instagram_post"].append({
                    "id": d.id(), "profile_id": pid, "handle": pid, "shortcode": f"s{pid}_{k:02d}",
                    "post_type": first_type if crawl == 0 or d.r.random() < .8 else d.r.choice(["story", "image"]),
                    "caption": "", "likes": d.r.choice([0, 1, 10, d.r.randint(0, 50000)]),
                    "comments": d.r.choice([0, d.r.randint(0, 500)]), "views": d.r.randint(0, 10000),
                    "plays": d.r.choice([0, d.r.randint(0, 100000)]),
                    "reach": d.r.choice([None, 0, d.r.randint(1, 90000)]), "impressions": None, "saved": None,
                    "shares": None, "hashtags": "", "display_url": "", "publish_time": ts(published),
                    "created_at": ts(published), "updated_at": ts(updated)})
        out["_e.profile_log_events"] += _events(
            d, "INSTAGRAM", pid, ["followers", "following"],
            lambda: T - d.r.choice([7, 30, 90]) * DAY if d.r.random() < 0.3 else T - d.r.randint(0, 120 * 86400) * SECOND)
        used = set()
        for _ in range(d.r.choice([0, 1, 2])):
            at, source = T - d.r.choice([1, 2]) * DAY, d.r.choice(["insights", "estimated"])
            if (at, source) in used:
                continue
            used.add((at, source))
            out["beat_replica.instagram_audience"].append({
                "profile_id": pid, "source": source, "updated_at": ts(at),
                "audience_gender": d.r.choice(['{"male": 0.61, "female": 0.39}', "", "not json", "[1,2]", "{}",
                                               '{"male": 0.5}']),
                "audience_age": d.r.choice(['{"18-24": 0.4}', "", "3", '{"18-24": 0.5, "25-34": 0.25}']),
                "audience_cities": d.r.choice(['{"Mumbai": 0.12}', "", "[]", "bad"]),
                "notable_followers": d.r.choice([[], ["1", "2"]])})
        if d.r.random() < 0.3:
            out["beat_replica.social_profile_link"].append({
                "instagram_profile_id": pid, "channel_id": f"UC{d.r.randint(0, n_yt - 1)}" if i % 4 else "",
                "updated_at": ts(T - 5 * DAY)})
            if d.r.random() < 0.5:
                out["beat_replica.social_profile_link"].append({
                    "instagram_profile_id": pid, "channel_id": d.r.choice(["", f"UC{i % n_yt}"]),
                    "updated_at": ts(T - 2 * DAY)})
    for i in range(n_yt):
        cid = f"UC{i}"
        for _ in range(d.r.choice([1, 2])):
            at = T - d.r.randint(0, 90 * 86400) * SECOND
            out["beat_replica.youtube_account"].append({
                "id": d.id(), "channel_id": cid, "handle": f"@Ch{i}", "title": d.r.choice(["Tech Ch", "", "ÄBC"]),
                "subscribers": d.r.choice([0, d.r.randint(1, 3000000)]), "views": d.r.randint(0, 10**9),
                "uploads": d.r.randint(0, 900), "category": d.r.choice(CATEGORIES), "language": "Hindi",
                "country": d.r.choice(COUNTRIES), "thumbnail_url": f"t{i}", "created_at": ts(at),
                "updated_at": ts(at)})
        for k in range(d.r.choice([0, 2, 13, 15])):
            published = T - 4 * DAY if k and d.r.random() < 0.2 else d.near_t()
            for crawl in range(d.r.choice([1, 2])):
                out["beat_replica.youtube_post"].append({
                    "id": d.id(), "channel_id": cid, "video_id": f"v{i}_{k:02d}", "title": "", "description": "",
                    "is_short": d.r.choice([0, 1]), "views": d.r.randint(0, 10**6), "likes": d.r.randint(0, 9999),
                    "comments": d.r.randint(0, 999), "thumbnail_url": "", "publish_time": ts(published),
                    "created_at": ts(published), "updated_at": ts(published + crawl * 3600 * SECOND)})
        if d.r.random() < 0.5:   # same time: 'insights' wins
            for source, gender, age in (("estimated", d.r.choice(['{"male": 0.3}', "", "x"]), '{"25-34": 1}'),
                                        ("insights", d.r.choice(['{"female": 0.9}', "{}"]), d.r.choice(["", "[]"]))):
                out["beat_replica.youtube_audience"].append({
                    "channel_id": cid, "audience_gender": gender, "audience_age": age, "source": source,
                    "updated_at": ts(T - DAY)})


def _history(d: _Draw, out: dict, n_ig: int, n_yt: int) -> None:
    """Profiles with months of events and posts, for the boards and series."""
    for i in range(n_ig):
        pid = f"{200000 + i}"
        for _ in range(d.r.choice([1, 2])):
            at = HISTORY_START + d.r.randint(0, 166 * 86400) * SECOND
            out["beat_replica.instagram_account"].append({
                "id": d.id(), "profile_id": pid, "handle": f"h{pid}", "full_name": "N", "biography": "",
                "followers": d.r.randint(0, 2000000), "following": 1, "media_count": 1, "is_verified": 0,
                "is_business": 0, "category": d.r.choice(CATEGORIES), "language": d.r.choice(LANGUAGES),
                "country": d.r.choice(COUNTRIES), "city": None, "profile_pic_url": f"p{pid}", "created_at": ts(at),
                "updated_at": ts(at)})
        out["_e.profile_log_events"] += _events(d, "INSTAGRAM", pid, ["followers", "following", "views"],
                                                d.in_history)
        for k in range(d.r.choice([0, 2, 10])):
            published = d.in_history()
            for crawl in range(d.r.choice([1, 2])):
                out["beat_replica.instagram_post"].append({
                    "id": d.id(), "profile_id": pid, "handle": pid, "shortcode": f"p{pid}_{k}",
                    "post_type": d.r.choice(["reels", "image", "carousel", "story"]), "caption": "",
                    "likes": d.r.randint(0, 5000), "comments": d.r.randint(0, 100), "views": d.r.randint(0, 9000),
                    "plays": d.r.randint(0, 90000), "reach": d.r.choice([None, 0, 700]), "impressions": None,
                    "saved": None, "shares": None,
                    "hashtags": ",".join(d.r.choice(TAGS) for _ in range(d.r.randint(0, 8))),
                    "display_url": "", "publish_time": ts(published), "created_at": ts(published),
                    "updated_at": ts(published + crawl * 3600 * SECOND)})
        if d.r.random() < 0.4:
            out["beat_replica.instagram_audience"].append({
                "profile_id": pid, "audience_gender": d.r.choice(['{"male": 0.25, "female": 0.75}', "", "x", "{}"]),
                "audience_age": d.r.choice(['{"18-24": 0.5, "25-34": 0.25}', '{}', "", '{"35-44": 1}']),
                "audience_cities": "", "notable_followers": [], "source": "insights", "updated_at": ts(T)})
    # One profile with 30 posts of up to 25 tags each: the top 20 and its ties.
    first = out["beat_replica.instagram_post"][-1]
    for k in range(30):
        out["beat_replica.instagram_post"].append(dict(first, id=d.id(), shortcode=f"many{k}",
                                                       hashtags=",".join(f"t{j:02d}" for j in range(k % 25 + 1))))
    for i in range(n_yt):
        cid = f"UD{i}"
        at = HISTORY_START + d.r.randint(0, 166 * 86400) * SECOND
        out["beat_replica.youtube_account"].append({
            "id": d.id(), "channel_id": cid, "handle": f"@d{i}", "title": "D", "subscribers": d.r.randint(0, 10**6),
            "views": 1, "uploads": 1, "category": d.r.choice(CATEGORIES), "language": d.r.choice(LANGUAGES),
            "country": d.r.choice(COUNTRIES), "thumbnail_url": "", "created_at": ts(at), "updated_at": ts(at)})
        out["_e.profile_log_events"] += _events(d, "YOUTUBE", cid, ["followers", "views", "uploads"], d.in_history)
        for k in range(d.r.choice([0, 3, 8])):
            published = d.in_history()
            out["beat_replica.youtube_post"].append({
                "id": d.id(), "channel_id": cid, "video_id": f"w{i}_{k}", "title": "", "description": "",
                "is_short": 0, "views": d.r.randint(0, 10**6), "likes": d.r.randint(0, 9999),
                "comments": d.r.randint(0, 999), "thumbnail_url": "", "publish_time": ts(published),
                "created_at": ts(published), "updated_at": ts(published)})


def _collections(d: _Draw, out: dict) -> None:
    """Collections (some inactive or hidden, some re-saved) of posts and videos, some missing."""
    ig_codes = sorted({p["shortcode"] for p in out["beat_replica.instagram_post"]})
    yt_codes = sorted({v["video_id"] for v in out["beat_replica.youtube_post"]})
    item = 1
    for c in range(1, 9):
        for version in range(d.r.choice([1, 2])):
            out["coffee.post_collection"].append({
                "id": c, "name": f"c{c}", "partner_id": 1, "share_id": f"share{c}_{version}",
                "show_in_report": int(d.r.random() < .85), "is_active": int(d.r.random() < .85),
                "created_at": ts(T - 10 * DAY), "updated_at": ts(T - (10 - version) * DAY)})
        for _ in range(d.r.randint(0, 12)):
            platform = d.r.choice(["INSTAGRAM", "YOUTUBE"])
            code = d.r.choice((ig_codes if platform == "INSTAGRAM" else yt_codes) + ["missing_code"])
            for version in range(d.r.choice([1, 1, 2])):
                out["coffee.post_collection_item"].append({
                    "id": item, "collection_id": c if version == 0 or d.r.random() < 0.7 else 99,
                    "platform": platform, "short_code": code, "post_type": d.r.choice(["reels", "image", "video"]),
                    "created_at": ts(T - 5 * DAY), "updated_at": ts(T - (5 - version) * DAY)})
            item += 1
    # Always there: an active collection with a missing post, a missing video and a post whose
    # owner has no account row.
    out["coffee.post_collection"].append({
        "id": 9, "name": "c9", "partner_id": 2, "share_id": "share9", "show_in_report": 1, "is_active": 1,
        "created_at": ts(T - 3 * DAY), "updated_at": ts(T - 3 * DAY)})
    for platform, code in (("INSTAGRAM", "missing_code"), ("YOUTUBE", "missing_video"), ("INSTAGRAM", "orphan")):
        out["coffee.post_collection_item"].append({
            "id": item, "collection_id": 9, "platform": platform, "short_code": code, "post_type": "image",
            "created_at": ts(T - 3 * DAY), "updated_at": ts(T - 3 * DAY)})
        item += 1


def raw_tables(seed: int, profiles: int = 150) -> dict[str, list[dict]]:
    """The rows of every source table, by '<database>.<table>' (stir ingest's file names)."""
    d = _Draw(seed)
    out: dict[str, list[dict]] = {name: [] for name in (
        "beat_replica.instagram_account", "beat_replica.instagram_post", "beat_replica.youtube_account",
        "beat_replica.youtube_post", "beat_replica.instagram_audience", "beat_replica.youtube_audience",
        "beat_replica.social_profile_link", "_e.profile_log_events", "coffee.post_collection",
        "coffee.post_collection_item")}
    _discovery(d, out, profiles, profiles // 3)
    _history(d, out, profiles, profiles // 3)
    # Posts and events of ids without an account row, and events of one id on the other platform.
    out["beat_replica.instagram_post"].append(dict(out["beat_replica.instagram_post"][0], profile_id="999999",
                                                   shortcode="orphan", id=d.id()))
    out["_e.profile_log_events"] += _events(d, "INSTAGRAM", "999999", ["followers"], d.in_history)
    out["_e.profile_log_events"] += [dict(e, platform="YOUTUBE", event_id=d.uuid())
                                     for e in out["_e.profile_log_events"][:60] if e["platform"] == "INSTAGRAM"]
    _collections(d, out)
    return out
