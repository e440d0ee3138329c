#!/usr/bin/env bash
# check.sh: check a Lex Ledger by hand, with standard tools only (curl, jq,
# base64, xxd, sha256sum, openssl 3, and python3 for the consistency proof):
#
#   (a) the checkpoint: its ed25519 signature and key hash, by the log's key;
#   (b) each witness's cosignature/v1 on it;
#   (c) inclusion proofs of events in a signed checkpoint;
#   (d) a consistency proof from a tree you remembered to the checkpoint.
#
# Each step prints what it checked; the first failure prints "FAIL", the
# step and what failed, and exits 1 (2 for a wrong command line).
# docs/VERIFY.md, "Checking a checkpoint with standard tools", walks through
# the same steps one command at a time.

set -euo pipefail
export LC_ALL=C # bytes, not characters: the note's "—" is three of them

usage() {
	cat >&2 <<'USAGE'
usage: check.sh --key LOG_VKEY [--witness-key WITNESS_VKEY]... [--event ID]...
                [--old-size N --old-root ROOT] [--note FILE] [--proof FILE]... [URL]

  URL               the ledger's HTTP address, such as http://127.0.0.1:8080
  --key             the log's verifier key, origin+hash+base64, as published
                    (~/.config/lexledger/checkpoint.nk.pub)
  --witness-key     a witness's cosignature/v1 verifier key, name+hash+base64,
                    as 'ledger witness vkey' prints it (repeatable): each must
                    have cosigned the checkpoint
  --event           an event id whose inclusion proof to fetch and check
                    (repeatable)
  --old-size, --old-root
                    a tree you checked before: its size, and its root in hex or
                    base64; the checkpoint must extend it
  --note FILE       check this checkpoint note instead of fetching it
  --proof FILE      check this proof, as 'projector proof' writes it
                    (repeatable); offline, with --note or alone
USAGE
	exit 2
}

log_vkey='' url='' old_size='' old_root=''
witness_keys=() event_ids=() proof_files=() note_file=''
while (($#)); do
	case $1 in
	--key) log_vkey=${2:?--key needs the log\'s verifier key}; shift 2 ;;
	--witness-key) witness_keys+=("${2:?--witness-key needs a witness verifier key}"); shift 2 ;;
	--event) event_ids+=("${2:?--event needs an event id}"); shift 2 ;;
	--old-size) old_size=${2:?--old-size needs a tree size}; shift 2 ;;
	--old-root) old_root=${2:?--old-root needs a root hash}; shift 2 ;;
	--note) note_file=${2:?--note needs a file}; shift 2 ;;
	--proof) proof_files+=("${2:?--proof needs a file}"); shift 2 ;;
	-h | --help) usage ;;
	-*) echo "check.sh: unknown option $1" >&2; usage ;;
	*) [[ -z $url ]] || usage; url=${1%/}; shift ;;
	esac
done
[[ -n $log_vkey ]] || { echo "check.sh: give the log's verifier key with --key" >&2; usage; }
[[ -z $old_size && -z $old_root || -n $old_size && -n $old_root ]] ||
	{ echo "check.sh: give both --old-size and --old-root" >&2; usage; }
if [[ -z $url && ( -z $note_file && ${#proof_files[@]} -eq 0 || ${#event_ids[@]} -gt 0 || -n $old_size ) ]]; then
	echo "check.sh: give the ledger's URL (only --note and --proof files are checked offline)" >&2
	usage
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step='setup'
fail() {
	printf 'FAIL %s: %s\n' "$step" "$*" >&2
	exit 1
}
ok() { printf '  ok  %s\n' "$*"; }

# Bytes as lower-case hex on one line, and back; SHA-256 in hex.
hex() { xxd -p | tr -d '\n'; }
unhex() { xxd -r -p; }
sha() { sha256sum | cut -d' ' -f1; }
# H: SHA-256 of bytes given in hex, as in docs/MERKLE.md.
H() { printf '%s' "$1" | unhex | sha; }
# b64hex: standard base64 to hex; fails on anything else.
b64hex() { printf '%s' "$1" | base64 -d 2>/dev/null | hex; }

# get PATH FILE: GET URL/PATH into FILE; a status other than 200 fails the
# step with the ledger's answer.
get() {
	local status
	status=$(curl -sS --max-time 60 -o "$2" -w '%{http_code}' "$url$1") || fail "GET $url$1: curl failed"
	[[ $status == 200 ]] || fail "GET $url$1 answered $status: $(head -c 300 "$2")"
}

# parse_vkey VKEY TYPE: read a note verifier key, name+hash+base64(TYPE ||
# 32-byte ed25519 key), into key_name, key_hash and key_pub (hex), and check
# that the hash is SHA-256(name || "\n" || TYPE || key)[:4]. TYPE is 01 for
# a log's key, 04 for a witness's cosignature/v1 key.
parse_vkey() {
	local rest raw want
	key_name=${1%%+*} rest=${1#*+}
	key_hash=${rest%%+*}
	[[ $key_name != "$1" && $rest == *+* && $key_hash =~ ^[0-9a-f]{8}$ ]] ||
		fail "\"$1\" is not a verifier key (name+hash+base64)"
	raw=$(b64hex "${rest#*+}") || fail "key $key_name: its key is not base64"
	[[ ${raw:0:2} == "$2" ]] || fail "key $key_name is of type 0x${raw:0:2}, want 0x$2"
	[[ ${#raw} == 66 ]] || fail "key $key_name holds $((${#raw} / 2 - 1)) bytes of key, want 32"
	key_pub=${raw:2}
	want=$({ printf '%s\n' "$key_name"; printf '%s%s' "$2" "$key_pub" | unhex; } | sha | cut -c1-8)
	[[ $want == "$key_hash" ]] || fail "key $key_name: its hash $key_hash is not SHA-256(name, \\n, 0x$2, key)[:4] = $want: the key was altered or mistyped"
}

# der PUBHEX FILE: the ed25519 public key as DER (SubjectPublicKeyInfo), as
# openssl reads it: a fixed 12-byte prefix, then the 32 bytes.
der() { printf '302a300506032b6570032100%s' "$1" | unhex >"$2"; }

# ed25519_verify DER MSG SIGHEX: does SIGHEX sign the file MSG?
ed25519_verify() {
	printf '%s' "$3" | unhex >"$work/sig"
	openssl pkeyutl -verify -pubin -inkey "$1" -keyform DER -rawin -in "$2" -sigfile "$work/sig" >/dev/null 2>&1
}

# signatures NOTE NAME: the decoded (hex) signature lines "— NAME base64" of
# a note, one a line.
signatures() {
	sed '1,/^$/d' "$1" | awk -v p="— $2 " 'index($0, p) == 1 { print substr($0, length(p) + 1) }' |
		while read -r b64; do b64hex "$b64" || true; echo; done
}

# check_note NOTE: check a checkpoint note with the log's key; set cp_size,
# cp_root (hex) and write the signed text to NOTE.text.
check_note() {
	local note=$1 text=$1.text origin root sig=''
	grep -q '^$' "$note" || fail "$note is not a signed note: no blank line before the signatures"
	sed '/^$/,$d' "$note" >"$text" # the text: every line up to the blank one
	origin=$(sed -n 1p "$text") cp_size=$(sed -n 2p "$text") root=$(sed -n 3p "$text")
	[[ $origin == "$log_name" ]] ||
		fail "the checkpoint is of origin \"$origin\", the key is named \"$log_name\": not this log's key"
	[[ $cp_size =~ ^(0|[1-9][0-9]*)$ ]] || fail "its tree size \"$cp_size\" is not a decimal number"
	cp_root=$(b64hex "$root") || cp_root=''
	[[ ${#cp_root} == 64 ]] || fail "its root \"$root\" is not the base64 of 32 bytes"
	echo "      read: origin $origin, tree size $cp_size, root $cp_root (base64 $root)"
	for s in $(signatures "$note" "$log_name"); do
		[[ ${s:0:8} == "$log_hash" ]] && sig=$s
	done
	[[ -n $sig ]] ||
		fail "no signature line \"— $log_name\" starts with the key hash $log_hash: the checkpoint is not signed by this key (its signature lines: $(sed '1,/^$/d' "$note" | cut -c1-60 | tr '\n' ' '))"
	ok "signature line by $log_name starts with the key hash $log_hash = SHA-256(name, \\n, 0x01, key)[:4]"
	[[ ${#sig} == 136 ]] || fail "the signature line holds $((${#sig} / 2)) bytes, want 4 + 64"
	ed25519_verify "$work/log.der" "$text" "${sig:8}" ||
		fail "the ed25519 signature does not verify over the note's text: the checkpoint was altered, or forged"
	ok "ed25519 signature of the $(wc -l <"$text") lines of text verifies (openssl pkeyutl -verify)"
}

parse_vkey "$log_vkey" 01
log_name=$key_name log_hash=$key_hash
der "$key_pub" "$work/log.der"

# (a) The checkpoint.
step='(a) checkpoint'
have_checkpoint=''
if [[ -n $note_file ]]; then
	echo "(a) checkpoint: $note_file"
	cp "$note_file" "$work/note"
elif [[ -n $url ]]; then
	echo "(a) checkpoint: $url/v1/checkpoint?format=note"
	get '/v1/checkpoint?format=note' "$work/note"
fi
if [[ -f $work/note ]]; then
	check_note "$work/note"
	size=$cp_size root=$cp_root have_checkpoint=1
else
	echo "(a) checkpoint: skipped (no URL and no --note); each proof's own checkpoint is checked in (c)"
fi

# (b) Each witness's cosignature/v1: a signature line "— <witness> base64(key
# hash || 8-byte big-endian time || ed25519 signature)" over
# "cosignature/v1\ntime <time>\n" and the checkpoint's text.
for wkey in "${witness_keys[@]}"; do
	step='(b) cosignature'
	[[ -n $have_checkpoint ]] || fail "no checkpoint to check a cosignature on: give the URL or --note"
	parse_vkey "$wkey" 04
	step="(b) cosignature of $key_name"
	echo "(b) cosignature of witness $key_name"
	der "$key_pub" "$work/witness.der"
	sig=''
	for s in $(signatures "$work/note" "$key_name"); do
		[[ ${s:0:8} == "$key_hash" ]] && sig=$s
	done
	[[ -n $sig ]] || fail "no signature line \"— $key_name\" starts with its key hash $key_hash: the witness did not cosign this checkpoint"
	ok "signature line by $key_name starts with the key hash $key_hash = SHA-256(name, \\n, 0x04, key)[:4]"
	[[ ${#sig} == 152 ]] || fail "the cosignature holds $((${#sig} / 2)) bytes, want 4 + 8 + 64"
	t=$((16#${sig:8:16}))
	{ printf 'cosignature/v1\ntime %s\n' "$t"; cat "$work/note.text"; } >"$work/cosigned"
	ed25519_verify "$work/witness.der" "$work/cosigned" "${sig:24}" ||
		fail "the ed25519 cosignature does not verify over \"cosignature/v1\\ntime $t\\n\" and the checkpoint's text: the checkpoint or the cosignature was altered"
	ok "ed25519 cosignature of \"cosignature/v1\\ntime $t\\n\" and the text verifies: cosigned at $t ($(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo "Unix time"))"
done

# (c) Inclusion proofs.
check_proof() {
	local proof=$1 ev=$1.event want_id=$2 e h leaf seq idx jsize jroot n p r fn sn
	# The event is the proof's first field, as stored: its bytes run from
	# {"event": to the proof's own ,"sequence":N,"leaf_index": (the last such
	# text: within a string its quotes would be escaped). jq reads JSON but
	# does not keep its bytes: it would write < where the ledger wrote \u003c.
	sed -E 's/^\{"event":(.*),"sequence":[0-9]+,"leaf_index":.*$/\1/' "$proof" | tr -d '\n' >"$ev"
	jq -e --slurpfile e "$ev" '.event == $e[0]' "$proof" >/dev/null 2>&1 ||
		fail "cannot cut the event's bytes out of the proof: not a proof as the ledger writes it"
	if [[ -n $want_id ]]; then
		[[ $(jq -r .id "$ev") == "$want_id" ]] || fail "the proof is of event $(jq -r .id "$ev"), not $want_id"
	fi
	# 1. The event hash: SHA-256 of the event without its hash field, the last
	# one: cut the 75 bytes ,"hash":"<64 hex>"} and close the object.
	e=$(jq -r '.hash // empty' "$ev")
	if [[ -n $e ]]; then
		[[ $(tail -c 75 "$ev") == ",\"hash\":\"$e\"}" ]] || fail "the event's hash is not its last field"
		h=$({ head -c $(($(wc -c <"$ev") - 75)) "$ev"; printf '}'; } | sha)
		[[ $h == "$e" ]] ||
			fail "the event's content hashes to $h, not to its hash field $e: the event was altered"
		ok "event $(jq -r .id "$ev"): SHA-256 of its bytes without the hash field is its hash $h"
	else
		h=$(sha <"$ev")
		ok "event $(jq -r .id "$ev") (no hash field, schema 1): SHA-256 of its bytes is $h"
	fi
	# 2. The leaf: SHA-256(0x00 || event hash).
	read -r seq idx leaf jsize jroot < <(jq -r '[.sequence, .leaf_index, .leaf_hash, .tree_size, .root] | @tsv' "$proof")
	[[ $seq =~ ^[0-9]+$ && $idx =~ ^[0-9]+$ ]] || fail "the proof has no sequence or leaf_index"
	[[ $(H "00$h") == "$leaf" ]] || fail "the event's leaf hash is $(H "00$h"), the proof says $leaf"
	ok "leaf hash SHA-256(0x00, event hash) = $leaf"
	# 3. Leaf i is the event at stream sequence i+1.
	((seq == idx + 1)) ||
		fail "the proof says the event is at sequence $seq, but its leaf index $idx is that of sequence $((idx + 1)): the proof was edited"
	ok "sequence $seq = leaf index $idx + 1"
	# 4. The tree it is proved in: the proof's checkpoint, checked with the
	# log's key; the size and root are taken from its signed text.
	jq -j '.checkpoint.note // empty' "$proof" >"$proof.note"
	[[ -s $proof.note ]] || fail "the proof's checkpoint has no note (an old JSON checkpoint): check it with 'projector check-proof'"
	if [[ -n $have_checkpoint ]] && cmp -s "$proof.note" "$work/note"; then
		cp_size=$size cp_root=$root
		ok "its checkpoint is the one checked in (a): tree size $cp_size, root $cp_root"
	else
		check_note "$proof.note" # signed since (a), or checked offline
	fi
	[[ $jsize == "$cp_size" && $jroot == "$cp_root" ]] ||
		fail "the proof's tree_size $jsize and root $jroot are not those its checkpoint signs ($cp_size, $cp_root)"
	if [[ -n $have_checkpoint && $cp_size == "$size" && $cp_root != "$root" ]]; then
		fail "the proof's checkpoint and the one of (a) sign the tree of $cp_size events with two roots, $cp_root and $root: two histories"
	fi
	# 5. Fold the audit path (RFC 9162 2.1.3.2) to the signed root.
	((idx < cp_size)) || fail "leaf index $idx is not below the tree size $cp_size"
	read -ra path <<<"$(jq -r '.path // [] | join(" ")' "$proof")"
	r=$leaf fn=$idx sn=$((cp_size - 1)) n=0
	for p in "${path[@]}"; do
		[[ $p =~ ^[0-9a-f]{64}$ ]] || fail "path hash \"$p\" is not 64 hex digits"
		((sn > 0)) || fail "the audit path is too long: ${#path[@]} hashes"
		if ((fn % 2 == 1 || fn == sn)); then
			r=$(H "01$p$r") # p is the left sibling
			while ((fn % 2 == 0 && fn != 0)); do fn=$((fn / 2)) sn=$((sn / 2)); done
		else
			r=$(H "01$r$p") # p is the right sibling
		fi
		fn=$((fn / 2)) sn=$((sn / 2)) n=$((n + 1))
	done
	((sn == 0)) || fail "the audit path is too short: ${#path[@]} hashes"
	[[ $r == "$cp_root" ]] ||
		fail "the audit path folds leaf $idx to $r, not to the checkpoint's root $cp_root"
	ok "the audit path's $n hash(es) fold leaf $idx to the root of the tree of $cp_size events"
}
i=0
for id in "${event_ids[@]}"; do
	step="(c) inclusion of $id"
	echo "(c) inclusion of event $id: $url/v1/proof?event=$id"
	get "/v1/proof?event=$id" "$work/proof$i"
	check_proof "$work/proof$i" "$id"
	i=$((i + 1))
done
for f in "${proof_files[@]}"; do
	step="(c) inclusion, $f"
	echo "(c) inclusion: $f"
	cp "$f" "$work/proof$i"
	check_proof "$work/proof$i" ''
	i=$((i + 1))
done

# (d) Consistency: the checkpoint's tree extends the one remembered.
if [[ -n $old_size ]]; then
	step='(d) consistency'
	[[ -n $have_checkpoint ]] || fail "no checkpoint to check consistency with: give the URL or --note"
	[[ $old_size =~ ^(0|[1-9][0-9]*)$ ]] || fail "--old-size \"$old_size\" is not a tree size"
	if [[ ! $old_root =~ ^[0-9a-f]{64}$ ]]; then
		r=$(b64hex "$old_root") || r=''
		[[ ${#r} == 64 ]] || fail "--old-root \"$old_root\" is neither 64 hex digits nor the base64 of 32 bytes"
		old_root=$r
	fi
	echo "(d) consistency of the tree of $old_size events with the checkpoint's $size: $url/v1/consistency?from=$old_size&to=$size"
	((old_size <= size)) || fail "the checkpoint's tree of $size events is smaller than the remembered $old_size: events were removed"
	get "/v1/consistency?from=$old_size&to=$size" "$work/consistency"
	[[ $(jq -r '"\(.old_size) \(.new_size)"' "$work/consistency") == "$old_size $size" ]] ||
		fail "the ledger answered a proof between other sizes: $(head -c 200 "$work/consistency")"
	read -ra path <<<"$(jq -r '.path // [] | join(" ")' "$work/consistency")"
	out=$(python3 "$here/proofs.py" consistency "$old_size" "$size" "$old_root" "$root" "${path[@]}" 2>&1) ||
		fail "$out"
	ok "the proof's ${#path[@]} hash(es) fold to the remembered root $old_root at size $old_size"
	ok "and to the checkpoint's root $root at size $size (RFC 9162 2.1.4.2, proofs.py)"
fi

echo "all checks passed"
