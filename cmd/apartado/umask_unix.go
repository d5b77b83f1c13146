//go:build unix

package main

import "syscall"

// privateUmask makes every file and folder the process creates private to
// its owner (umask 0077), whatever umask it was started with, and returns
// the old one. The database and the key file are made private
// regardless; this also covers what SQLite, the exports and anything else
// create.
func privateUmask() int { return syscall.Umask(0o077) }
