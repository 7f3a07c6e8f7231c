# Appended by scripts/v2-lane.sh to the berthd guest's copy of
# engine-helpers.bash: the traces of a berthd that dies. engine_teardown_file
# removes $ENGINE_DIR with berthd.log in it, so each file's log is kept under
# $BERTH_DIAG_LOGS, with a line for every test after which the file's berthd
# was gone; tests/v2/berthd-diag.sh prints them at the end of the guest run.

# v2_diag_note TEXT: a line in this file's kept log
v2_diag_note() {
    echo "$*" >>"$BERTH_DIAG_LOGS/$(basename "$BATS_TEST_FILENAME" .bats).$$.log"
}

# v2_diag_berthd_gone: true when berthd.pid names a berthd that is not running
v2_diag_berthd_gone() {
    local pid
    pid=$(cat "$ENGINE_DIR/berthd.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null
}

eval "v2_diag_orig_$(declare -f engine_teardown)"
engine_teardown() {
    if [ -n "${BERTH_DIAG_LOGS:-}" ] && [ -n "${ENGINE_DIR:-}" ] && v2_diag_berthd_gone; then
        v2_diag_note "berthd $(cat "$ENGINE_DIR/berthd.pid") is gone after test" \
            "'$BATS_TEST_DESCRIPTION' ($(date +%T))"
    fi
    v2_diag_orig_engine_teardown
}

eval "v2_diag_orig_$(declare -f engine_teardown_file)"
engine_teardown_file() {
    if [ -n "${BERTH_DIAG_LOGS:-}" ] && [ -n "${ENGINE_DIR:-}" ]; then
        v2_diag_berthd_gone && v2_diag_note "berthd is gone at the file's teardown"
        # what the file's berthd holds at its end: a leak shows as growth
        local pid
        pid=$(cat "$ENGINE_DIR/berthd.pid" 2>/dev/null) && [ -d "/proc/$pid" ] &&
            echo "$(basename "$BATS_TEST_FILENAME"): berthd $pid holds $(ls "/proc/$pid/fd" | wc -l)" \
                "fds, $(ls "/proc/$pid/task" | wc -l) threads," \
                "$(awk '/VmRSS/ {print $2 $3}' "/proc/$pid/status") RSS" >>"$BERTH_DIAG_LOGS/usage"
        # berthd logs at level error here: an empty log is a clean one
        if [ -s "$ENGINE_DIR/berthd.log" ]; then
            v2_diag_note "berthd.log of $ENGINE_DIR:"
            v2_diag_note "$(cat "$ENGINE_DIR/berthd.log")"
        fi
    fi
    v2_diag_orig_engine_teardown_file
}
