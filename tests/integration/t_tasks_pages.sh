#!/bin/sh
# A season's collection tasks, a page at a time. The staff pages (100 a
# page), `GET /api/v1/tasks` (`limit`, 1000 by default, and a Link
# header to the next page) and `feegate tasks --limit --after` list every
# task once, in task order, whatever the filter, with grids named as a
# utility names them (spaces, '&', '/', Chinese). A page reads about the
# rows it shows, not every task of the grid ever raised: a grid's page of
# every state through migration 024's tasks_grid, which the test also
# hides from MariaDB to see the page read the whole grid.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19600 "-d 10"
send_conf 19601 "
[web]
port = 19602

$(api_sections)"
odd='城东 03&A/1'
# 20,000 tasks, as escalation raises them over a season in a city of a
# few hundred grids: most done, a fiftieth each open, assigned and
# cancelled; G1 a twentieth of them, the odd grid a fortieth, some with
# no grid (a customer billing gives none).
sqlg "INSERT INTO collection_tasks (account_no, case_id, grid_id, amount_due, notices_failed,
                                    notices_delivered, reason, state, created_on)
      SELECT CONCAT('33', LPAD(seq, 8, '0')), seq,
             CASE WHEN seq % 97 = 0 THEN NULL WHEN CRC32(seq) % 1000 < 50 THEN 'G1'
                  WHEN CRC32(seq) % 1000 < 75 THEN $(q "$odd")
                  ELSE CONCAT('SC-', LPAD(CRC32(seq) % 200, 3, '0')) END,
             100.00, 3, 1, 'three notices failed',
             CASE CRC32(CONCAT('s', seq)) % 50 WHEN 7 THEN 'open' WHEN 8 THEN 'assigned'
                  WHEN 9 THEN 'cancelled' ELSE 'done' END,
             '2026-10-02'
      FROM seq_1_to_20000;
      ANALYZE TABLE collection_tasks" >/dev/null
g1=$(sqlg "SELECT COUNT(*) FROM collection_tasks WHERE grid_id = 'G1'")

# `feegate tasks --limit` (no serve yet: the rows read are the command's).
# page ARGS...: one page as JSON into $work/page.json, the rows MariaDB
# read for it in $read, its text form's last line in $tail.
page() {
	r0=$(handler_reads)
	fgok tasks --json "$@"
	read=$(( $(handler_reads) - r0 ))
	cp "$work/last.out" "$work/page.json"
	fgok tasks "$@"
	tail=$(tail -1 "$work/last.out")
}
# truth WHERE: the task ids of the filter, in order, one a line.
truth() { sqlg "SELECT task_id FROM collection_tasks WHERE $1 ORDER BY task_id"; }
ids() { /usr/bin/python3 -c 'import json, sys; [print(t["task_id"]) for t in json.load(open(sys.argv[1]))]' "$1"; }
# bounded WHERE ARGS...: the first page of 100 and one from the middle
# are the filter's, and each read fewer than 400 rows (the command's own
# reads are about 150 of them).
bounded() {
	where=$1; shift
	mid=$(sqlg "SELECT task_id FROM collection_tasks WHERE $where ORDER BY task_id
	            LIMIT 1 OFFSET $(( $(truth "$where" | wc -l) / 2 ))")
	for after in 0 "$mid"; do
		page "$@" --limit 100 --after "$after"
		eq "$(truth "$where AND task_id > $after" | head -100)" "$(ids "$work/page.json")" \
		   "tasks $* after $after: the page"
		echo "     tasks $* --after $after: $read rows read"
		[ "$read" -lt 400 ] || fail "tasks $* after $after: a page of 100 read $read rows"
	done
}
bounded "TRUE"
bounded "state = 'open'" --state open
bounded "grid_id = 'G1'" --grid G1
bounded "grid_id = 'G1' AND state = 'done'" --grid G1 --state done
bounded "grid_id = $(q "$odd")" --grid "$odd"
# Without tasks_grid, a page of a grid's tasks reads all of them (or the
# tasks of other grids in between).
sqlg "ALTER TABLE collection_tasks ALTER INDEX tasks_grid IGNORED"
page --grid G1 --limit 100
[ "$read" -ge "$g1" ] || fail "without tasks_grid a page of G1 read $read rows, fewer than its $g1 tasks"
echo "     without tasks_grid: a page of G1 read $read rows ($g1 tasks in G1)"
sqlg "ALTER TABLE collection_tasks ALTER INDEX tasks_grid NOT IGNORED"
# The text form names the next page: followed to the end, every task.
: >"$work/walked"
after=0 pages=0
while :; do
	page --grid "$odd" --state done --limit 100 --after "$after"
	ids "$work/page.json" >>"$work/walked"
	pages=$((pages + 1))
	case "$tail" in
	*"more after task"*) after=${tail##*--after }; after=${after%)} ;;
	*) break ;;
	esac
	[ "$pages" -le 50 ] || fail "tasks --after: no end to the pages"
done
eq "$(truth "grid_id = $(q "$odd") AND state = 'done'")" "$(cat "$work/walked")" \
   "tasks --grid --state --limit, followed by --after: every task once, in order ($pages pages)"
# Without --limit, every task of the filter at once (an export).
fgok tasks --state open
has "$(tail -1 "$work/last.out")" "$(truth "state = 'open'" | wc -l | tr -d ' ') tasks" "every open task at once"
for bad in "--limit 0" "--limit x" "--after -1" "--after 1x"; do
	# shellcheck disable=SC2086
	run_rc 2 "tasks $bad" fg tasks $bad
done

# The API: pages by the Link header, as a CRM would follow them.
api_client crm tasks:read
"$FEEGATE_BIN" -c "$conf" serve --now "2026-10-02 10:00" >"$work/serve.out" 2>"$work/serve.err" &
serve=$!
bg_pids="$bg_pids $serve"
wait_listening 19601 "the API"
wait_listening 19602 "the staff pages"
# crm_walk WHERE QUERY: follow rel="next" from /api/v1/tasks?QUERY; the
# ids, each page's size and the last page without a Link.
crm_walk() {
	/usr/bin/python3 - "http://127.0.0.1:19601/api/v1/tasks?$2" "$token" "$work/api-walked" <<'EOF' ||
import json, re, sys, urllib.parse, urllib.request
url, token, out = sys.argv[1], sys.argv[2], sys.argv[3]
ids, pages = [], 0
limit = int(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)).get("limit", 1000))
while url:
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req) as r:
        page = json.load(r)
        link = r.headers.get("Link")
    pages += 1
    if len(page) > limit or (link and len(page) != limit):
        sys.exit("page %d: %d tasks with limit %d, Link %s" % (pages, len(page), limit, link))
    ids += [t["task_id"] for t in page]
    url = None
    if link:
        m = re.fullmatch(r'<(/api/v1/tasks\?[^>]*)>; rel="next"', link)
        if not m:
            sys.exit("Link: " + link)
        url = urllib.parse.urljoin(req.full_url, m.group(1))
    if pages > 100:
        sys.exit("no end to the pages")
open(out, "w").write("".join("%d\n" % i for i in ids))
print("     /api/v1/tasks?%s: %d pages" % (sys.argv[1].split("?", 1)[1], pages))
EOF
		fail "GET /api/v1/tasks?$2: the pages"
	eq "$(truth "$1")" "$(cat "$work/api-walked")" "GET /api/v1/tasks?$2: every task once, in order"
}
crm_walk "TRUE" ""
crm_walk "TRUE" "limit=250"
crm_walk "grid_id = $(q "$odd")" "grid=%E5%9F%8E%E4%B8%9C%2003%26A%2F1&limit=100"
crm_walk "grid_id = 'G1' AND state = 'open'" "state=open&grid=G1&limit=7"
api="http://127.0.0.1:19601/api/v1"
for bad in "limit=0:limit" "limit=1001:limit" "limit=:limit" "after=-1:after" "after=x:after"; do
	api_call "$token" GET "/tasks?${bad%:*}"
	eq "400" "$code" "tasks?${bad%:*}"
	has "$(cat "$work/resp")" "\"field\":\"${bad#*:}\"" "tasks?${bad%:*}: the field named"
done

# The staff pages: 100 a page and a link to the next, which keeps the
# filter; a collector's pages stay in their grid whatever the link says.
printf 'agent-password-1\n' | fgok staff add li.na --role agent
printf 'collect-password\n' | fgok staff add qian --role collector --grid "$odd"
web="http://127.0.0.1:19602"
login() { curl -s -o /dev/null -c "$work/jar-$1" --data "user=$1&password=$2" "$web/login"; }
login li.na agent-password-1
login qian collect-password
# web_walk USER WHERE PATH: every page from PATH by its "Next page" link.
web_walk() {
	: >"$work/web-walked"
	path=$3 pages=0
	while [ -n "$path" ]; do
		code=$(curl -s -o "$work/page-tasks" -w '%{http_code}' -b "$work/jar-$1" "$web$path")
		eq "200" "$code" "$1: GET $path"
		sed -n 's|^<tr><td>\([0-9]*\)</td>.*|\1|p' "$work/page-tasks" >>"$work/web-walked"
		rows=$(grep -c '^<tr><td>[0-9]' "$work/page-tasks" || true)
		pages=$((pages + 1))
		path=$(sed -n 's|.*<a rel="next" href="\([^"]*\)">.*|\1|p' "$work/page-tasks" | sed 's/&amp;/\&/g')
		[ -z "$path" ] || [ "$rows" = 100 ] || fail "$1: a page of $rows tasks before the last"
		[ "$pages" -le 100 ] || fail "$1: no end to the pages"
	done
	eq "$(truth "$2")" "$(cat "$work/web-walked")" "$1: $3: every task once, in order, $pages pages"
}
web_walk li.na "grid_id = 'G2' AND state = 'done'" "/tasks?grid=G2&state=done"
web_walk li.na "grid_id = $(q "$odd")" "/tasks?grid=%E5%9F%8E%E4%B8%9C%2003%26A%2F1"
web_walk qian "grid_id = $(q "$odd")" "/tasks?grid=G2"
web_walk qian "grid_id = $(q "$odd") AND task_id > 3000" "/tasks?grid=G2&after=3000"
done_ok
