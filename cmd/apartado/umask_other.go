//go:build !unix

package main

// privateUmask does nothing where there is no umask (Windows).
func privateUmask() int { return 0 }
