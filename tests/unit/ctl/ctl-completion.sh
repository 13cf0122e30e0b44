#!/bin/bash
# SPDX-License-Identifier: MIT
# ctl-completion.sh COMPLETION-FILE SYNACKCTL - the bash completion offers
# commands, options, state names and tunable keys. bash-completion's own
# helpers are stubbed when it is not installed.
set -u
file=$1
PATH=$(dirname "$2"):$PATH
command -v bash >/dev/null || exit 77

if [[ -r /usr/share/bash-completion/bash_completion ]]; then
	# shellcheck disable=SC1091
	source /usr/share/bash-completion/bash_completion
else
	# shellcheck disable=SC2034,SC2317 # sets the caller's locals, as bash-completion does
	_init_completion()
	{
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
	}
	# shellcheck disable=SC2317
	_filedir() { :; }
fi
# shellcheck disable=SC1090
source "$file"

fails=0
# complete 'WORDS...' -> the sorted, space-joined candidates
complete_line()
{
	read -r -a COMP_WORDS <<< "$1"
	[[ $1 == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_synackctl
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

expect()
{
	local got
	got=$(complete_line "$1")
	if [[ $got != "$2" ]]; then
		echo "FAIL: '$1' -> '$got', want '$2'"
		fails=$((fails + 1))
	fi
}

expect "synackctl st" "stats status"
expect "synackctl s" "set ss stats status"
expect "synackctl --ou" "--output"
expect "synackctl -o " "json table"
expect "synackctl conns state time" "time-wait"
expect "synackctl conns state conn" "connected"
expect "synackctl -s /x conns sta" "state"
expect "synackctl ss --su" "--summary"
expect "synackctl ss sport = :80 or n" "not"
expect "synackctl get rto." "rto.initial rto.max rto.min"
expect "synackctl set ms" "msl"
expect "synackctl set sack " "false true"
expect "synackctl impair --direction " "both in out"
expect "synackctl trace --ab" "--absolute"
expect "synackctl kill --dr" "--dry-run"
expect "synackctl help re" "reload"
[[ $fails -eq 0 ]] && echo "ok: completion"
exit $((fails > 0))
