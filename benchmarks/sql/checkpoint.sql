-- A checkpoint before each measured path: none pays for the WAL the path before it wrote, and
-- the next write of every page logs the page whole, as after each checkpoint in production
-- (where a 15-minute merge always follows one: checkpoint_timeout is 5 minutes by default).
CHECKPOINT
