package ansinist

// fieldNames gives the mnemonics of common fields (SP 500-290 Rev1 Tables 11,
// 13, 22–29, 33–40, 98, 99) for listings; a field not here is shown by tag.
var fieldNames = map[int]map[int]string{
	1: {1: "LEN", 2: "VER", 3: "CNT", 4: "TOT", 5: "DAT", 6: "PRY", 7: "DAI", 8: "ORI", 9: "TCN", 10: "TCR",
		11: "NSR", 12: "NTR", 13: "DOM", 14: "GMT", 15: "DCS", 16: "APS", 17: "ANM", 18: "GNS"},
	2: {1: "LEN", 2: "IDC", 18: "NAM", 19: "AKA", 20: "POB", 21: "CTZ", 22: "DOB", 24: "SEX", 25: "RAC",
		27: "HGT", 29: "WGT", 31: "EYE", 32: "HAI"},
	4: {1: "LEN", 2: "IDC", 3: "IMP", 4: "FGP", 5: "ISR", 6: "HLL", 7: "VLL", 8: "CGA", 9: "DATA"},
	7: {1: "LEN", 2: "IDC", 3: "DATA"},
	8: {1: "LEN", 2: "IDC", 3: "SIG", 4: "SRT", 5: "ISR", 6: "HLL", 7: "VLL", 8: "DATA"},
	9: {1: "LEN", 2: "IDC", 3: "IMP", 4: "FMT", 5: "OFR", 6: "FGP", 7: "FPC", 8: "CRP", 9: "DLT", 10: "MIN",
		11: "RDG", 12: "MRC"},
	10: {1: "LEN", 2: "IDC", 3: "IMT", 4: "SRC", 5: "PHD", 6: "HLL", 7: "VLL", 8: "SLC", 9: "THPS",
		10: "TVPS", 11: "CGA", 12: "CSP", 13: "SAP", 20: "POS", 999: "DATA"},
	13: {1: "LEN", 2: "IDC", 3: "IMP", 4: "SRC", 5: "LCD", 6: "HLL", 7: "VLL", 8: "SLC", 9: "THPS",
		10: "TVPS", 11: "CGA", 12: "BPX", 13: "FGP", 999: "DATA"},
	14: {1: "LEN", 2: "IDC", 3: "IMP", 4: "SRC", 5: "FCD", 6: "HLL", 7: "VLL", 8: "SLC", 9: "THPS",
		10: "TVPS", 11: "CGA", 12: "BPX", 13: "FGP", 14: "PPD", 15: "PPC", 16: "SHPS", 17: "SVPS",
		20: "COM", 21: "SEG", 22: "NQM", 23: "SQM", 24: "FQM", 25: "ASEG", 26: "SCF", 27: "SIF", 999: "DATA"},
	15: {1: "LEN", 2: "IDC", 3: "IMP", 4: "SRC", 5: "PCD", 6: "HLL", 7: "VLL", 8: "SLC", 9: "THPS",
		10: "TVPS", 11: "CGA", 12: "BPX", 13: "FGP", 999: "DATA"},
	17: {1: "LEN", 2: "IDC", 3: "ELR", 4: "SRC", 5: "ICD", 6: "HLL", 7: "VLL", 8: "SLC", 9: "THPS",
		10: "TVPS", 11: "CGA", 12: "BPX", 13: "CSP", 999: "DATA"},
}

func init() {
	fieldNames[3], fieldNames[5], fieldNames[6] = fieldNames[4], fieldNames[4], fieldNames[4]
	for t, m := range fieldNames {
		if t != 1 && t != 4 && t != 3 && t != 5 && t != 6 && t != 7 && t != 8 {
			if _, ok := m[1]; !ok {
				m[1] = "LEN"
			}
		}
	}
}

// FieldName returns the mnemonic of field num of record type t ("CNT" for
// 1.003), or "" when bix does not know it.
func FieldName(t, num int) string {
	return fieldNames[t][num]
}
