package fingerprint

// ProcessCPU is processCPU for the external evaluation test.
var ProcessCPU = processCPU
