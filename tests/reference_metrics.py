"""metrics.md read again, in plain Python over the raw rows (reference_data.raw_tables), with
none of Stir's SQL: what test_reference compares every published serving table with, as the
hidden check does. Each function returns {key: {column: value}} for the columns it defines
(ids derived by a hash are left out)."""
from __future__ import annotations

import datetime as dt
import json
import math

from reference_data import DAY, T

Rows = dict[str, list[dict]]


def parse(at: str) -> dt.datetime:
    return dt.datetime.strptime(at, "%Y-%m-%d %H:%M:%S")


def json_object(text: str):
    """An empty string, invalid JSON or JSON that is not an object gives None."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def json_int(metrics: str, key: str):
    """The key's value when it is a JSON integer (no fraction, no exponent, not a string or
    a boolean), else None."""
    try:
        value = json.loads(metrics, parse_float=lambda _: None).get(key)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def latest(rows: list[dict], key: str, order=lambda r: (r["updated_at"], r["id"])) -> dict:
    found: dict = {}
    for row in rows:
        if row[key] not in found or order(row) > order(found[row[key]]):
            found[row[key]] = row
    return found


def min_ids(rows: list[dict], key: str) -> dict:
    ids: dict = {}
    for row in rows:
        ids[row[key]] = min(ids.get(row[key], row["id"]), row["id"])
    return ids


def audience(rows: list[dict], key: str) -> dict:
    """The row with the greatest updated_at, 'insights' before 'estimated'."""
    return latest(rows, key, lambda r: (r["updated_at"], r["source"] == "insights"))


def mean(values: list):
    return sum(values) / len(values) if values else None


def last_value(events: list[dict], key: str):
    """The JSON integer of the event with the greatest insert_timestamp among those that have
    one (ties: the greatest value)."""
    found = [(parse(e["insert_timestamp"]), json_int(e["metrics"], key)) for e in events]
    found = [f for f in found if f[1] is not None]
    return max(found)[1] if found else None


def follower_group(f: int) -> str:
    for limit, name in ((5000, '0-5k'), (10000, '5k-10k'), (50000, '10k-50k'), (100000, '50k-100k'),
                        (500000, '100k-500k'), (1000000, '500k-1M')):
        if f < limit:
            return name
    return '1M+'


def tier(f):
    if f is None:
        return None
    return 'Nano' if f < 1000 else 'Micro' if f < 75000 else 'Macro' if f < 1000000 else 'Mega'


def reach_estimate(post: dict, followers: int) -> float:
    if followers == 0 or post["likes"] == 0:
        return 0.0
    if post["post_type"] == "reels":
        value = post["plays"] * (0.94 - math.log2(followers) * 0.001)
    else:
        value = (7.6 - math.log10(post["likes"]) * 0.7) * 0.85 * post["likes"]
    return max(value, 0.0)


def rank(rows: dict, column: str, metric: str, partition) -> None:
    """SQL rank() by `metric` descending, NULLs last, over the rows' `partition(row)`s."""
    groups: dict = {}
    for key, row in rows.items():
        groups.setdefault(partition(key, row), []).append(row)
    for members in groups.values():
        values = [r[metric] for r in members if r[metric] is not None]
        for r in members:
            r[column] = len(values) + 1 if r[metric] is None else 1 + sum(v > r[metric] for v in values)


def grade(value, peers: list) -> str | None:
    if value is None or value == 0 or math.isnan(value) or math.isinf(value):
        return None
    ordered = sorted(v for v in peers if v is not None and v > 0)
    p40, p60, p75, p90 = (ordered[int(k * len(ordered))] for k in (0.4, 0.6, 0.75, 0.9))
    return ('Excellent' if value > p90 else 'Very Good' if value > p75 else 'Good' if value > p60
            else 'Average' if value > p40 else 'Poor')


def posts(raw: Rows, platform: str) -> list[dict]:
    """Latest state of every Instagram non-story post / YouTube video, with its `owner`."""
    if platform == "INSTAGRAM":
        return [dict(p, owner=p["profile_id"]) for p in latest(raw["beat_replica.instagram_post"], "shortcode").values()
                if p["post_type"] != "story"]
    return [dict(v, owner=v["channel_id"]) for v in latest(raw["beat_replica.youtube_post"], "video_id").values()]


def accounts(raw: Rows, platform: str) -> tuple[dict, dict]:
    """(latest account row, serving id = min(id)) per profile."""
    table, key = (("beat_replica.instagram_account", "profile_id") if platform == "INSTAGRAM"
                  else ("beat_replica.youtube_account", "channel_id"))
    return latest(raw[table], key), min_ids(raw[table], key)


def events_of(raw: Rows, platform: str, ids) -> dict[str, list[dict]]:
    found: dict = {}
    for e in raw["_e.profile_log_events"]:
        if e["platform"] == platform and e["profile_id"] in ids:
            found.setdefault(e["profile_id"], []).append(e)
    return found


def recent(items: list[dict], code: str) -> list[dict]:
    """The posts published in the 30 days before T, at most 12: the greatest (publish_time, code)."""
    window = [p for p in items if T - 30 * DAY <= parse(p["publish_time"]) < T]
    return sorted(window, key=lambda p: (p["publish_time"], p[code]), reverse=True)[:12]


def growth(events: list[dict], followers: int, days: int):
    bound = T - days * DAY
    bases = [(parse(e["insert_timestamp"]), json_int(e["metrics"], "followers")) for e in events]
    bases = [b for b in bases if b[1] is not None and b[0] <= bound]
    return followers - max(bases)[1] if bases else None


def instagram_account(raw: Rows) -> dict:
    acc, ids = accounts(raw, "INSTAGRAM")
    by_owner: dict = {}
    for p in posts(raw, "INSTAGRAM"):
        by_owner.setdefault(p["owner"], []).append(p)
    links = latest(raw["beat_replica.social_profile_link"], "instagram_profile_id", lambda r: r["updated_at"])
    aud = audience(raw["beat_replica.instagram_audience"], "profile_id")
    events = events_of(raw, "INSTAGRAM", acc)
    out = {}
    for pid, a in acc.items():
        rec, f = recent(by_owner.get(pid, []), "shortcode"), a["followers"]
        likes, comments = mean([p["likes"] for p in rec]), mean([p["comments"] for p in rec])
        link, au = links.get(pid), aud.get(pid)
        out[pid] = {
            "id": ids[pid], "handle": a["handle"], "name": a["full_name"], "followers": f,
            "following": a["following"], "post_count": a["media_count"], "category": a["category"],
            "language": a["language"], "country": a["country"], "city": a["city"],
            "is_verified": a["is_verified"] != 0, "avg_likes": likes, "avg_comments": comments,
            "avg_views": mean([p["plays"] for p in rec if p["post_type"] == "reels"]),
            "engagement_rate": None if f == 0 or not rec else (likes + comments) / f * 100,
            "avg_reach": mean([p["reach"] if p["reach"] else reach_estimate(p, f) for p in rec]),
            **{f"followers_growth{n}d": growth(events.get(pid, []), f, n) for n in (7, 30, 90)},
            "follower_group": follower_group(f), "follower_tier": tier(f),
            "linked_channel_id": (link["channel_id"] or None) if link else None,
            "audience_gender": json_object(au["audience_gender"]) if au else None,
            "audience_age": json_object(au["audience_age"]) if au else None,
            "search_phrase": (a["full_name"] + " " + a["handle"]).lower(), "thumbnail": a["profile_pic_url"],
            "updated_at": parse(a["updated_at"])}
    groups: dict = {}
    for row in out.values():
        groups.setdefault((row["country"], row["category"], row["follower_group"]), []).append(row)
    for metric in ("engagement_rate", "avg_likes", "avg_comments", "followers"):
        for members in groups.values():
            peers = [r[metric] for r in members]
            for r in members:
                r[f"{metric}_grade"] = grade(r[metric], peers)
    rank(out, "country_rank", "followers", lambda _, r: r["country"])
    rank(out, "category_rank", "followers", lambda _, r: (r["country"], r["category"]))
    return out


def youtube_account(raw: Rows) -> dict:
    """Channels. metrics.md does not say which Instagram profile a channel linked from several
    shows: Stir's choice (mart_youtube_account_snapshot) is the one linked last, ties: the
    greatest profile id."""
    acc, ids = accounts(raw, "YOUTUBE")
    by_owner: dict = {}
    for v in posts(raw, "YOUTUBE"):
        by_owner.setdefault(v["owner"], []).append(v)
    linked: dict = {}
    for ig, link in latest(raw["beat_replica.social_profile_link"], "instagram_profile_id",
                           lambda r: r["updated_at"]).items():
        if link["channel_id"]:
            linked[link["channel_id"]] = max(linked.get(link["channel_id"], ("", "")), (link["updated_at"], ig))
    aud = audience(raw["beat_replica.youtube_audience"], "channel_id")
    out = {}
    for cid, a in acc.items():
        rec, s = recent(by_owner.get(cid, []), "video_id"), a["subscribers"]
        likes, comments = mean([v["likes"] for v in rec]), mean([v["comments"] for v in rec])
        au = aud.get(cid)
        out[cid] = {
            "id": ids[cid], "handle": a["handle"], "title": a["title"], "subscribers": s, "views": a["views"],
            "uploads": a["uploads"], "avg_views": mean([v["views"] for v in rec]),
            "engagement_rate": None if s == 0 or not rec else (likes + comments) / s * 100,
            "category": a["category"], "language": a["language"], "country": a["country"],
            "linked_ig_id": linked[cid][1] if cid in linked else None,
            "search_phrase": (a["title"] + " " + a["handle"]).lower(),
            "audience_gender": json_object(au["audience_gender"]) if au else None,
            "audience_age": json_object(au["audience_age"]) if au else None,
            "thumbnail": a["thumbnail_url"], "updated_at": parse(a["updated_at"])}
    return out


def week(at: dt.datetime) -> dt.date:
    """toStartOfWeek, mode 0: the Sunday."""
    return at.date() - ((at.weekday() + 1) % 7) * DAY


def month(at: dt.datetime) -> dt.date:
    return at.date().replace(day=1)


def previous(period: dt.date, monthly: bool) -> dt.date:
    return (period - DAY).replace(day=1) if monthly else period - 7 * DAY


def floored_change(current, before):
    return None if current is None or before is None else max(current - before, 0)


def time_series(raw: Rows) -> dict:
    out = {}
    for platform in ("INSTAGRAM", "YOUTUBE"):
        acc, _ = accounts(raw, platform)
        by_owner: dict = {}
        for p in posts(raw, platform):
            by_owner.setdefault(p["owner"], []).append(p)
        for pid, events in events_of(raw, platform, acc).items():
            for monthly, period in ((False, week), (True, month)):
                periods: dict = {}
                for e in events:
                    periods.setdefault(period(parse(e["insert_timestamp"])), []).append(e)
                rows = {}
                for date, evs in periods.items():
                    values = [(parse(e["insert_timestamp"]), json_int(e["metrics"], "followers")) for e in evs]
                    values = [v for v in values if v[1] is not None]
                    if not values:
                        continue
                    followers = max(values)[1] if monthly else max(v for _, v in values)
                    items = [p for p in by_owner.get(pid, []) if period(parse(p["publish_time"])) == date]
                    likes, comments = sum(p["likes"] for p in items), sum(p["comments"] for p in items)
                    rows[date] = {
                        "followers": followers, "following": last_value(evs, "following"),
                        "views_total": last_value(evs, "views") if platform == "YOUTUBE" else None,
                        "uploads_total": last_value(evs, "uploads"), "likes": likes, "comments": comments,
                        "engagement_rate": (likes + comments) / len(items) / followers * 100
                        if items and followers else None,
                        "uploads": len(items)}
                    if platform == "INSTAGRAM":
                        rows[date]["views"] = sum(p["plays"] if p["post_type"] == "reels" else p["views"]
                                                  for p in items)
                for date, row in rows.items():
                    before = rows.get(previous(date, monthly))
                    row["followers_change"] = row["followers"] - before["followers"] if before else None
                    if platform == "YOUTUBE":
                        row["views"] = floored_change(row["views_total"], before and before["views_total"])
                        row["uploads"] = floored_change(row["uploads_total"], before and before["uploads_total"])
                for date, row in rows.items():
                    del row["uploads_total"]
                    out[(platform, pid, date, monthly)] = row
    return out


LEADERBOARD_RANKS = {
    "followers_rank": ((), "followers"), "followers_change_rank": ((), "followers_change"),
    "views_rank": ((), "views"), "plays_rank": ((), "plays"),
    "followers_rank_by_cat": (("category",), "followers"), "followers_rank_by_lang": (("language",), "followers"),
    "followers_rank_by_cat_lang": (("category", "language"), "followers"),
    "followers_change_rank_by_cat": (("category",), "followers_change"),
    "followers_change_rank_by_lang": (("language",), "followers_change"),
    "views_rank_by_cat": (("category",), "views"), "plays_rank_by_cat": (("category",), "plays")}


def leaderboard(raw: Rows) -> dict:
    out = {}
    for platform in ("INSTAGRAM", "YOUTUBE"):
        acc, ids = accounts(raw, platform)
        aud = audience(raw["beat_replica.instagram_audience" if platform == "INSTAGRAM"
                           else "beat_replica.youtube_audience"],
                       "profile_id" if platform == "INSTAGRAM" else "channel_id")
        by_month: dict = {}
        for p in posts(raw, platform):
            by_month.setdefault((p["owner"], month(parse(p["publish_time"]))), []).append(p)
        for pid, events in events_of(raw, platform, acc).items():
            months: dict = {}
            for e in events:
                months.setdefault(month(parse(e["insert_timestamp"])), []).append(e)
            a, au = acc[pid], aud.get(pid)
            for m, evs in months.items():
                before = months.get(previous(m, True), [])
                f, pf = last_value(evs, "followers"), last_value(before, "followers")
                items = by_month.get((pid, m), [])
                likes, comments = sum(p["likes"] for p in items), sum(p["comments"] for p in items)
                row = {"profile_platform": "IA" if platform == "INSTAGRAM" else "YA", "platform_profile_id": ids[pid],
                       "handle": a["handle"], "category": a["category"], "language": a["language"],
                       "country": a["country"], "followers": f, "prev_followers": pf,
                       "followers_change": None if f is None or pf is None else f - pf, "profile_type": tier(f),
                       "likes": likes, "comments": comments, "engagement": likes + comments,
                       "engagement_rate": (likes + comments) / len(items) / f * 100 if items and f else None,
                       "avg_likes": mean([p["likes"] for p in items]),
                       "avg_comments": mean([p["comments"] for p in items]),
                       "audience_gender": json_object(au["audience_gender"]) if au else None,
                       "audience_age": json_object(au["audience_age"]) if au else None}
                if platform == "INSTAGRAM":
                    reels = [p for p in items if p["post_type"] == "reels"]
                    others = [p for p in items if p["post_type"] != "reels"]
                    row.update(views=sum(p["views"] for p in others), plays=sum(p["plays"] for p in reels),
                               uploads=len(items), avg_views=mean([p["views"] for p in others]),
                               avg_plays=mean([p["plays"] for p in reels]))
                else:
                    row.update(views=floored_change(last_value(evs, "views"), last_value(before, "views"))
                               if before else None,
                               uploads=floored_change(last_value(evs, "uploads"), last_value(before, "uploads"))
                               if before else None,
                               plays=0, avg_views=mean([v["views"] for v in items]), avg_plays=None)
                row["enabled"] = a["country"] == "IN" and (row["engagement_rate"] or 0) > 0
                out[(platform, pid, m)] = row
    for (platform, pid, m), row in out.items():
        before = out.get((platform, pid, previous(m, True)))
        row["prev_views"], row["prev_plays"] = (before["views"], before["plays"]) if before else (None, None)
    for column, (parts, metric) in LEADERBOARD_RANKS.items():
        rank(out, column, metric, lambda key, r, parts=parts: (key[0], key[2]) + tuple(r[p] for p in parts))
    for row in out.values():
        row["current_month_ranks"] = {c: row[c] for c in LEADERBOARD_RANKS}
    for (platform, pid, m), row in out.items():
        before = out.get((platform, pid, previous(m, True)))
        row["last_month_ranks"] = before["current_month_ranks"] if before else {}
    return out


def sum_or_none(values: list):
    values = [v for v in values if v is not None]
    return sum(values) if values else None


def genre_overview(raw: Rows) -> dict:
    groups: dict = {}
    for (platform, pid, m), r in leaderboard(raw).items():
        if r["category"] is None or r["country"] is None:
            continue
        for month_key in (m.strftime("%Y-%m"), "ALL"):
            for language in ([r["language"]] if r["language"] is not None else []) + ["ALL"]:
                for profile_type in ([r["profile_type"]] if r["profile_type"] is not None else []) + ["ALL"]:
                    key = (r["category"], month_key, platform, r["country"], language, profile_type)
                    groups.setdefault(key, []).append((pid, m, r))
    out = {}
    for key, members in groups.items():
        latest_month: dict = {}
        for pid, m, r in members:
            if pid not in latest_month or m > latest_month[pid][0]:
                latest_month[pid] = (m, r["followers"])
        rates = [r["engagement_rate"] for _, _, r in members if r["engagement_rate"] is not None]
        row = {"creators": len({pid for pid, _, _ in members}),
               **{c: sum_or_none([r[c] for _, _, r in members])
                  for c in ("uploads", "views", "plays", "likes", "comments", "engagement")},
               "followers": sum_or_none([f for _, f in latest_month.values()]), "engagement_rate": mean(rates)}
        for column, source in (("audience_gender", "audience_gender"), ("audience_age_gender", "audience_age")):
            objects = {pid: r[source] for pid, _, r in members if r[source] is not None}
            keys = set().union(*objects.values()) if objects else set()
            row[column] = ({k: sum(o.get(k, 0) for o in objects.values()) / len(objects) for k in keys}
                           if objects else None)
        out[key] = row
    return out


def tags(text: str) -> list[str]:
    """Split on ',', lower-cased, spaces trimmed, empty ones dropped, first occurrence kept."""
    found: list[str] = []
    for tag in text.split(","):
        tag = tag.lower().strip(" ")
        if tag and tag not in found:
            found.append(tag)
    return found


def social_profile_hashtags(raw: Rows) -> dict:
    acc, _ = accounts(raw, "INSTAGRAM")
    counts: dict = {}
    for p in latest(raw["beat_replica.instagram_post"], "shortcode").values():
        if p["profile_id"] in acc:
            for tag in tags(p["hashtags"]):
                counts.setdefault(p["profile_id"], {}).setdefault(tag, 0)
                counts[p["profile_id"]][tag] += 1
    return {("INSTAGRAM", pid): {"hashtags": [{"tag": t, "count": n} for t, n in
                                              sorted(c.items(), key=lambda tn: (-tn[1], tn[0].encode()))[:20]]}
            for pid, c in counts.items()}


def social_profile_audience_info(raw: Rows) -> dict:
    out = {}
    for platform in ("INSTAGRAM", "YOUTUBE"):
        acc, _ = accounts(raw, platform)
        ig = platform == "INSTAGRAM"
        rows = audience(raw["beat_replica.instagram_audience" if ig else "beat_replica.youtube_audience"],
                        "profile_id" if ig else "channel_id")
        for pid, a in rows.items():
            if pid in acc:
                out[(platform, pid)] = {
                    "audience_gender": json_object(a["audience_gender"]), "audience_age": json_object(a["audience_age"]),
                    "audience_cities": json_object(a["audience_cities"]) if ig else None,
                    "notable_followers": a["notable_followers"] if ig else None, "source": a["source"]}
    return out


def collection_post_metrics_summary(raw: Rows) -> dict:
    collections = latest(raw["coffee.post_collection"], "id", lambda r: r["updated_at"])
    ig_posts = latest(raw["beat_replica.instagram_post"], "shortcode")
    yt_posts = latest(raw["beat_replica.youtube_post"], "video_id")
    ig_accounts, _ = accounts(raw, "INSTAGRAM")
    yt_accounts, _ = accounts(raw, "YOUTUBE")
    out = {}
    for item_id, item in latest(raw["coffee.post_collection_item"], "id", lambda r: r["updated_at"]).items():
        c = collections.get(item["collection_id"])
        if not c or c["is_active"] != 1 or c["show_in_report"] != 1:
            continue
        ig, code = item["platform"] == "INSTAGRAM", item["short_code"]
        post = (ig_posts if ig else yt_posts).get(code)
        owner = post and (ig_accounts if ig else yt_accounts).get(post["profile_id" if ig else "channel_id"])
        followers = (owner["followers"] if ig else owner["subscribers"]) if owner else None
        row = {"collection_id": c["id"], "collection_type": "POST", "collection_share_id": c["share_id"],
               "platform": item["platform"], "post_short_code": code, "post_type": item["post_type"],
               "post_link": f"https://www.instagram.com/p/{code}/" if ig else f"https://www.youtube.com/watch?v={code}",
               "profile_social_id": owner and owner["profile_id" if ig else "channel_id"],
               "handle": owner and owner["handle"],
               "profile_pic": owner and owner["profile_pic_url" if ig else "thumbnail_url"],
               "followers": followers, "show_in_report": True,
               "published_at": None, "likes": None, "comments": None, "views": None, "plays": None, "reach": None,
               "engagement_rate": None, "hashtags": None}
        if post:
            row.update(published_at=parse(post["publish_time"]), likes=post["likes"], comments=post["comments"],
                       views=post["views"], plays=post["plays"] if ig else 0,
                       engagement_rate=None if followers is None else 0.0 if followers == 0
                       else (post["likes"] + post["comments"]) / followers * 100)
            if ig:
                row["hashtags"] = tags(post["hashtags"])
                row["reach"] = (post["reach"] if post["reach"] else None if followers is None
                                else math.floor(reach_estimate(post, followers)))
        out[item_id] = row
    return out
