package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the unit of utime and stime in /proc/<pid>/stat: `getconf
// CLK_TCK`, or 100 (Linux's USER_HZ everywhere but a few old ports).
func clockTicks(ctx context.Context) int64 {
	out, err := exec.CommandContext(ctx, "getconf", "CLK_TCK").Output()
	if err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && n > 0 {
			return n
		}
	}
	return 100
}

// cpuReader reads processes' CPU time (user + system, all threads).
type cpuReader struct {
	ticksPerSecond int64
}

// cpuTime returns the CPU time the process pid has used so far.
func (c cpuReader) cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("reading CPU time of %d: %w", pid, err)
	}
	ticks, err := parseStatCPU(string(b))
	if err != nil {
		return 0, fmt.Errorf("reading CPU time of %d: %w", pid, err)
	}
	return time.Duration(ticks) * time.Second / time.Duration(c.ticksPerSecond), nil
}

// cpuTimeSum is the total CPU time of several processes.
func (c cpuReader) cpuTimeSum(pids []int) (time.Duration, error) {
	var total time.Duration
	for _, pid := range pids {
		d, err := c.cpuTime(pid)
		if err != nil {
			return 0, err
		}
		total += d
	}
	return total, nil
}

// parseStatCPU returns utime + stime, in clock ticks, from the text of
// /proc/<pid>/stat. The command name (field 2) is in parentheses and may
// itself hold spaces and parentheses, so fields are counted from the last
// ')'; utime and stime are fields 14 and 15.
func parseStatCPU(stat string) (int64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("stat: no command name")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command name, want at least 13", len(f))
	}
	utime, err := strconv.ParseInt(f[11], 10, 64)
	if err != nil || utime < 0 {
		return 0, fmt.Errorf("stat: utime %q is not a tick count", f[11])
	}
	stime, err := strconv.ParseInt(f[12], 10, 64)
	if err != nil || stime < 0 {
		return 0, fmt.Errorf("stat: stime %q is not a tick count", f[12])
	}
	if utime > math.MaxInt64-stime {
		return 0, errors.New("stat: utime + stime overflows")
	}
	return utime + stime, nil
}
