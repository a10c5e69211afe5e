"""`stir seed`: deterministic synthetic raw data in the contract's file format.

The same (profiles, months, seed, end) always writes byte-identical files. The data is shaped
like the real crawl: heavy-tailed follower counts, several categories/languages/countries
(NULLs included), weekly crawls spread over the months, post engagement that scales with
followers, a few profiles with missing months, events without followers, and zero followers.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import random
import uuid
from pathlib import Path

CATEGORIES = ["Fashion", "Beauty", "Tech", "Food", "Travel", "Fitness", "Comedy", None]
LANGUAGES = ["Hindi", "English", "Tamil", "Telugu", "Marathi", None]
COUNTRIES = ["IN"] * 6 + ["US", "ID", "BR", None]
CITIES = ["Mumbai", "Delhi", "Bengaluru", "Chennai", "Pune", None]
POST_TYPES = ["reels"] * 4 + ["image"] * 3 + ["carousel"] * 2 + ["story"]
WORDS = ["fitness", "Travel", "food", "OOTD", "tech", "style", "india", "Reels", "vlog", "beauty"]


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _ts(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


class _Writer:
    """Streams rows to one <database>.<table>.jsonl file per table (nothing is buffered)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.files: dict = {}
        self.counts: dict[str, int] = {}

    def add(self, table: str, row: dict) -> None:
        if table not in self.files:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.files[table] = (self.directory / f"{table}.jsonl").open("w", encoding="utf-8")
            self.counts[table] = 0
        self.files[table].write(json.dumps(row, sort_keys=True) + "\n")
        self.counts[table] += 1

    def flush(self) -> dict[str, int]:
        for fh in self.files.values():
            fh.close()
        return dict(sorted(self.counts.items()))


def _followers(rng: random.Random) -> int:
    # Pareto tail over a log-normal body: most profiles are small, a few are huge.
    if rng.random() < 0.02:
        return 0
    return int(min(rng.lognormvariate(9.0, 1.6) * (rng.paretovariate(2.5) if rng.random() < 0.1 else 1), 5e8))


def generate(directory: Path, profiles: int, months: int, seed: int, end: dt.date) -> dict[str, int]:
    """Write contract files for `profiles` Instagram profiles (and a third as many YouTube
    channels) over the `months` calendar months before `end` (a month start). Returns row
    counts per table."""
    rng = random.Random(seed)
    out = _Writer(Path(directory))
    first = add_months(month_start(end), -months)
    weeks = max(1, ((month_start(end) - first).days) // 7)
    ids = {"crawl": 1_000, "post": 1_000_000, "yt": 5_000, "ytpost": 9_000_000}
    shortcodes: list[str] = []
    video_ids: list[str] = []
    channel_ids: list[str] = []

    def next_id(kind: str) -> int:
        ids[kind] += rng.randint(1, 3)
        return ids[kind]

    def moment(week: int) -> dt.datetime:
        day = first + dt.timedelta(days=week * 7 + rng.randint(0, 6))
        return dt.datetime.combine(day, dt.time(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)))

    def event(platform: str, profile_id: str, at: dt.datetime, metrics: dict) -> None:
        if rng.random() < 0.02:
            metrics = {k: v for k, v in metrics.items() if k != "followers"}
        elif rng.random() < 0.01:
            metrics = dict(metrics, followers=None)
        out.add("_e.profile_log_events", {
            "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "platform": platform, "profile_id": profile_id,
            "metrics": json.dumps(metrics), "insert_timestamp": _ts(at),
        })

    for p in range(profiles):
        profile_id = str(10_000_000 + p * 7919)
        handle = f"creator_{p}"
        followers = _followers(rng)
        growth = rng.gauss(0.01, 0.02)
        category, language = rng.choice(CATEGORIES), rng.choice(LANGUAGES)
        country, city = rng.choice(COUNTRIES), rng.choice(CITIES)
        engagement = rng.lognormvariate(math.log(0.03), 0.6)
        skipped_month = rng.randrange(months) if rng.random() < 0.1 and months > 1 else None
        name = "" if rng.random() < 0.05 else f"Creator {p} {rng.choice(WORDS).title()}"
        for week in range(weeks):
            at = moment(week)
            if followers > 0:
                followers = max(0, int(followers * (1 + growth) + rng.gauss(0, max(1.0, followers * 0.002))))
            month_index = (at.date().year * 12 + at.date().month) - (first.year * 12 + first.month)
            out.add("beat_replica.instagram_account", {
                "id": next_id("crawl"), "profile_id": profile_id, "handle": handle, "full_name": name,
                "biography": f"{category or 'creator'} from {city or 'somewhere'}", "followers": followers,
                "following": rng.randint(50, 2000), "media_count": 50 + week * 2,
                "is_verified": int(followers > 1_000_000), "is_business": rng.randint(0, 1),
                "category": category, "language": language, "country": country, "city": city,
                "profile_pic_url": f"https://cdn.example/ig/{profile_id}.jpg",
                "created_at": _ts(at), "updated_at": _ts(at),
            })
            if month_index != skipped_month:
                event("INSTAGRAM", profile_id, at, {"followers": followers, "following": rng.randint(50, 2000)})
        for month in range(months):
            if month == skipped_month:
                continue
            start = add_months(first, month)
            days = (add_months(start, 1) - start).days
            for _ in range(rng.randint(0, 14)):
                post_type = rng.choice(POST_TYPES)
                published = dt.datetime.combine(start + dt.timedelta(days=rng.randrange(days)), dt.time(rng.randint(0, 23), rng.randint(0, 59)))
                likes = int(followers * engagement * rng.lognormvariate(0, 0.5))
                shortcode = f"C{rng.getrandbits(40):010x}"
                shortcodes.append(shortcode)
                tags = ",".join(rng.sample(WORDS, rng.randint(0, 4)))
                post_id = next_id("post")
                for crawl in range(rng.randint(1, 3)):
                    seen = published + dt.timedelta(days=crawl * 2, hours=1)
                    grown = int(likes * (1 + 0.2 * crawl))
                    out.add("beat_replica.instagram_post", {
                        "id": post_id + crawl, "profile_id": profile_id, "handle": handle, "shortcode": shortcode,
                        "post_type": post_type, "caption": f"post {shortcode}", "likes": grown,
                        "comments": int(grown * rng.uniform(0.005, 0.05)),
                        "views": 0 if post_type in ("reels", "image") else int(grown * rng.uniform(5, 15)),
                        "plays": int(grown * rng.uniform(8, 30)) if post_type == "reels" else 0,
                        "reach": None if rng.random() < 0.6 else int(followers * rng.uniform(0.1, 0.6)),
                        "impressions": None, "saved": None, "shares": None, "hashtags": tags,
                        "display_url": f"https://cdn.example/p/{shortcode}.jpg",
                        "publish_time": _ts(published), "created_at": _ts(seen), "updated_at": _ts(seen),
                    })
        if rng.random() < 0.5:
            male = round(rng.uniform(0.2, 0.8), 2)
            out.add("beat_replica.instagram_audience", {
                "profile_id": profile_id,
                "audience_gender": json.dumps({"male": male, "female": round(1 - male, 2)}),
                "audience_age": json.dumps({"18-24": 0.4, "25-34": 0.35, "35-44": 0.25}),
                "audience_cities": json.dumps({"Mumbai": 0.2}), "notable_followers": [],
                "source": rng.choice(["insights", "estimated"]), "updated_at": _ts(moment(weeks - 1)),
            })

    for c in range(max(1, profiles // 3)):
        channel_id = f"UC{rng.getrandbits(64):016x}"
        channel_ids.append(channel_id)
        subscribers = _followers(rng)
        views = subscribers * rng.randint(20, 200)
        uploads = rng.randint(10, 400)
        growth = rng.gauss(0.015, 0.02)
        category, language, country = rng.choice(CATEGORIES), rng.choice(LANGUAGES), rng.choice(COUNTRIES)
        for week in range(weeks):
            at = moment(week)
            subscribers = max(0, int(subscribers * (1 + growth)))
            views += int(subscribers * rng.uniform(0.1, 2))
            uploads += rng.randint(0, 2)
            out.add("beat_replica.youtube_account", {
                "id": next_id("yt"), "channel_id": channel_id, "handle": f"@channel{c}", "title": f"Channel {c}",
                "subscribers": subscribers, "views": views, "uploads": uploads,
                "category": category, "language": language, "country": country,
                "thumbnail_url": f"https://cdn.example/yt/{channel_id}.jpg",
                "created_at": _ts(at), "updated_at": _ts(at),
            })
            event("YOUTUBE", channel_id, at, {"followers": subscribers, "views": views, "uploads": uploads})
        for month in range(months):
            start = add_months(first, month)
            for _ in range(rng.randint(0, 6)):
                published = dt.datetime.combine(start + dt.timedelta(days=rng.randrange(28)), dt.time(rng.randint(0, 23)))
                video_views = int(subscribers * rng.lognormvariate(-1, 1))
                video_id = f"v{rng.getrandbits(44):011x}"
                video_ids.append(video_id)
                out.add("beat_replica.youtube_post", {
                    "id": next_id("ytpost"), "channel_id": channel_id, "video_id": video_id,
                    "title": f"Video {video_id}", "description": "", "is_short": int(rng.random() < 0.3),
                    "views": video_views, "likes": int(video_views * 0.04), "comments": int(video_views * 0.004),
                    "thumbnail_url": f"https://cdn.example/v/{video_id}.jpg", "publish_time": _ts(published),
                    "created_at": _ts(published), "updated_at": _ts(published + dt.timedelta(days=1)),
                })
    # The sources beside the profiles, from a generator of their own so that the profiles,
    # posts and events above stay the same for a given seed.
    extra = random.Random(seed + 1)
    end_moment = dt.datetime.combine(month_start(end), dt.time()) - dt.timedelta(hours=1)
    _audience_links(out, extra, profiles, channel_ids, end_moment)
    _collections(out, extra, shortcodes, video_ids, end_moment)
    _scrape_requests(out, extra, shortcodes, end_moment)
    return out.flush()


def _audience_links(out: _Writer, rng: random.Random, profiles: int, channel_ids: list[str],
                    at: dt.datetime) -> None:
    """YouTube audiences for half the channels; an Instagram <-> YouTube link for some
    profiles (a few of them removed again by a later row with an empty channel_id)."""
    for channel_id in channel_ids:
        if rng.random() < 0.5:
            male = round(rng.uniform(0.2, 0.8), 2)
            out.add("beat_replica.youtube_audience", {
                "channel_id": channel_id,
                "audience_gender": json.dumps({"male": male, "female": round(1 - male, 2)}),
                "audience_age": json.dumps({"13-17": 0.1, "18-24": 0.5, "25-34": 0.4}),
                "source": rng.choice(["insights", "estimated"]), "updated_at": _ts(at),
            })
    for p, channel_id in zip(range(profiles), channel_ids):
        if rng.random() < 0.3:
            profile_id = str(10_000_000 + p * 7919)
            out.add("beat_replica.social_profile_link", {
                "instagram_profile_id": profile_id, "channel_id": channel_id, "updated_at": _ts(at - dt.timedelta(days=30)),
            })
            if rng.random() < 0.1:
                out.add("beat_replica.social_profile_link", {
                    "instagram_profile_id": profile_id, "channel_id": "", "updated_at": _ts(at),
                })


def _collections(out: _Writer, rng: random.Random, shortcodes: list[str], video_ids: list[str],
                 at: dt.datetime) -> None:
    """Campaign collections of posts and videos: most active and shown in reports, one hidden,
    one deactivated by a later row; each has an item whose post was never crawled."""
    item_id = 50_000
    for c in range(max(2, len(shortcodes) // 500)):
        collection_id = 7_000 + c
        created = at - dt.timedelta(days=20)
        row = {"id": collection_id, "name": f"Campaign {c}", "partner_id": 100 + c % 3,
               "share_id": f"share-{collection_id}", "show_in_report": int(c % 7 != 1), "is_active": 1,
               "created_at": _ts(created), "updated_at": _ts(created)}
        out.add("coffee.post_collection", row)
        if c % 11 == 2:
            out.add("coffee.post_collection", dict(row, is_active=0, updated_at=_ts(at)))
        picks = [("INSTAGRAM", code) for code in rng.sample(shortcodes, min(len(shortcodes), rng.randint(3, 25)))]
        picks += [("YOUTUBE", code) for code in rng.sample(video_ids, min(len(video_ids), rng.randint(0, 8)))]
        picks.append(("INSTAGRAM", f"Cmissing{collection_id}"))
        for platform, code in picks:
            item_id += 1
            out.add("coffee.post_collection_item", {
                "id": item_id, "collection_id": collection_id, "platform": platform, "short_code": code,
                "post_type": "video" if platform == "YOUTUBE" else rng.choice(POST_TYPES),
                "created_at": _ts(created), "updated_at": _ts(created),
            })


def _scrape_requests(out: _Writer, rng: random.Random, shortcodes: list[str], at: dt.datetime) -> None:
    """A day of the crawler's task queue and its event stream: refresh and asset-upload
    requests, most complete, some failed, some still pending."""
    flows = ("refresh_post_by_shortcode", "asset_upload_flow")
    for n in range(min(2_000, max(20, len(shortcodes) // 10))):
        created = at - dt.timedelta(seconds=rng.randint(0, 86_400))
        flow = rng.choice(flows)
        status = rng.choices(("COMPLETE", "FAILED", "PENDING", "PROCESSING"), (80, 8, 10, 2))[0]
        params = json.dumps({"shortcode": rng.choice(shortcodes)} if shortcodes else {})
        done = created + dt.timedelta(seconds=rng.randint(5, 600))
        out.add("beat_replica.scrape_request_log", {
            "id": 1 + n, "flow": flow, "platform": "INSTAGRAM", "params": params, "status": status,
            "priority": rng.randint(0, 9), "created_at": _ts(created),
            "updated_at": _ts(done if status in ("COMPLETE", "FAILED") else created),
        })
        out.add("_e.scrape_request_log_events", {"flow": flow, "params": params, "status": "PENDING",
                                                 "event_timestamp": _ts(created)})
        if status in ("COMPLETE", "FAILED"):
            out.add("_e.scrape_request_log_events", {"flow": flow, "params": params, "status": status,
                                                     "event_timestamp": _ts(done)})
