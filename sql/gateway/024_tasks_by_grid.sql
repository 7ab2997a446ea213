-- 024: a page of a grid's collection tasks in task order (the staff
-- pages, `GET /api/v1/tasks?grid=`, `feegate tasks --grid --limit`)
-- reads about the rows it shows. tasks_grid_state (grid_id, state) holds
-- a grid's tasks by state, so a page of a grid's tasks of every state
-- read all the grid's tasks ever raised and sorted them. This index is
-- a grid's tasks in task order (InnoDB appends the key to it). A task is
-- written when raised and when its state changes, rarely beside the
-- messages, so one more index costs the nights nothing measurable.
ALTER TABLE collection_tasks
  ADD INDEX IF NOT EXISTS tasks_grid (grid_id);
