"""Rows of the contract's raw tables for hand-made fixtures: every column filled with a
plain default, any column overridden by name."""
from __future__ import annotations

import json


def ig_account(id_, pid, updated, handle=None, **over):
    row = {"id": id_, "profile_id": pid, "handle": handle or pid, "full_name": f"Name {pid.upper()}",
           "biography": "", "followers": 1, "following": 1, "media_count": 1, "is_verified": 0,
           "is_business": 0, "category": "Tech", "language": "English", "country": "IN", "city": None,
           "profile_pic_url": "", "created_at": updated, "updated_at": updated}
    row.update(over)
    return row


def event(platform, pid, at, **metrics):
    """A profile_log_events row whose metrics JSON holds `metrics` as given."""
    return {"event_id": f"00000000-0000-4000-8000-{abs(hash((platform, pid, at, json.dumps(metrics)))) % 10**12:012d}",
            "platform": platform, "profile_id": pid, "metrics": json.dumps(metrics), "insert_timestamp": at}


def ig_post(id_, pid, code, post_type, published, updated=None, **over):
    row = {"id": id_, "profile_id": pid, "handle": pid, "shortcode": code, "post_type": post_type,
           "caption": "", "likes": 0, "comments": 0, "views": 0, "plays": 0,
           "reach": None, "impressions": None, "saved": None, "shares": None, "hashtags": "",
           "display_url": "", "publish_time": published, "created_at": published,
           "updated_at": updated or published}
    row.update(over)
    return row


def yt_account(id_, cid, updated, **over):
    row = {"id": id_, "channel_id": cid, "handle": f"@{cid}", "title": f"Channel {cid.upper()}",
           "subscribers": 1, "views": 1, "uploads": 1, "category": "Tech", "language": "Hindi",
           "country": "IN", "thumbnail_url": "", "created_at": updated, "updated_at": updated}
    row.update(over)
    return row


def yt_video(id_, cid, vid, published, **over):
    row = {"id": id_, "channel_id": cid, "video_id": vid, "title": "", "description": "", "is_short": 0,
           "views": 100, "likes": 0, "comments": 0, "thumbnail_url": "",
           "publish_time": published, "created_at": published, "updated_at": published}
    row.update(over)
    return row


def ig_audience(pid, updated, source="insights", gender="{}", age="{}", **over):
    row = {"profile_id": pid, "audience_gender": gender, "audience_age": age, "audience_cities": "",
           "notable_followers": [], "source": source, "updated_at": updated}
    row.update(over)
    return row


def yt_audience(cid, updated, source="insights", gender="{}", age="{}", **over):
    row = {"channel_id": cid, "audience_gender": gender, "audience_age": age, "source": source, "updated_at": updated}
    row.update(over)
    return row


def collection(id_, updated, **over):
    row = {"id": id_, "name": f"Collection {id_}", "partner_id": 1, "share_id": f"share-{id_}",
           "show_in_report": 1, "is_active": 1, "created_at": updated, "updated_at": updated}
    row.update(over)
    return row


def collection_item(id_, collection_id, platform, code, updated, post_type="image", **over):
    row = {"id": id_, "collection_id": collection_id, "platform": platform, "short_code": code,
           "post_type": post_type, "created_at": updated, "updated_at": updated}
    row.update(over)
    return row
