#!/bin/sh
# check-layers.sh: the gateway's layers include only downwards. Each
# folder of gateway/ is a layer, lowest first:
#   base net channels store queue night send serve
# (channels/ sits beside gateway/ but between net and store); main.c is
# above them all. A file may include its own layer's headers and those
# of the layers below, always by their folder ("store/db.h"); a header of
# ours named without a folder, or an include that goes up a layer, fails
# with FILE:LINE. Run by `make check-source`.
set -eu
cd "$(dirname "$0")/.."
order="base net channels store queue night send serve main"
rank() {
	i=0
	for l in $order; do
		[ "$l" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
	echo -1
}
bad=0
for f in gateway/main.c gateway/*/*.[ch] channels/*.[ch]; do
	case "$f" in
	gateway/main.c) own=main ;;
	channels/*) own=channels ;;
	*) own=${f#gateway/}; own=${own%%/*} ;;
	esac
	r=$(rank "$own")
	if [ "$r" -lt 0 ]; then
		echo "$f: gateway/$own/ is not a layer (scripts/check-layers.sh)"
		bad=1
		continue
	fi
	# "#include "X/Y.h"" lines: line number, folder
	out=$(grep -n '^#include "' "$f" | sed 's/^\([0-9]*\):#include "\([^"]*\)".*/\1 \2/') || true
	[ -n "$out" ] || continue
	while read -r line path; do
		case "$path" in
		*/*) layer=${path%%/*} ;;
		*)
			echo "$f:$line: \"$path\": name our headers by their layer (\"base/util.h\")"
			bad=1
			continue
			;;
		esac
		lr=$(rank "$layer")
		if [ "$lr" -lt 0 ]; then
			echo "$f:$line: \"$path\": $layer/ is not a layer"
			bad=1
		elif [ "$lr" -gt "$r" ]; then
			echo "$f:$line: \"$path\": $own/ may not include $layer/, a layer above it"
			bad=1
		fi
	done <<LINES
$out
LINES
done
if [ $bad -ne 0 ]; then
	echo "check-layers: includes go only downwards: $order"
	exit 1
fi
echo "check-layers: every include goes down a layer or stays in its own"
