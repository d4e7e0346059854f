package cpu

// SetPoison turns TAPEGRAD_CPU_POISON's fill on or off for the external
// tests and returns the previous setting.
func SetPoison(on bool) bool { return poison.Swap(on) }
