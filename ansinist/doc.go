// Package ansinist reads and writes ANSI/NIST-ITL 1-2011 (Update 2015)
// transactions: the "Data Format for the Interchange of Fingerprint, Facial &
// Other Biometric Information" (NIST Special Publication 500-290 Rev1).
//
// A Transaction is a list of records. Record 1 (Type-1, transaction
// information) comes first and its CNT field (1.003) lists the type and IDC of
// every other record. Tagged records (Types 1, 2, 9–99 except 3–8) are
// sequences of fields "T.NNN:value" separated by GS (0x1D) and ended by FS
// (0x1C); within a value RS (0x1E) separates subfields and US (0x1F) separates
// information items (SP 500-290 Rev1 §7.1, "Traditional encoding"). Field 001
// (LEN) is the record's length in bytes; field 999 holds binary data and runs to
// the end of the record. The legacy binary records, Types 3–8, have fixed
// binary headers and are identified only by CNT (§8.3–8.8, Annex B.2).
//
// The traditional encoding is lossless: Decode keeps every record and field
// exactly as written (field tags keep their digit counts, values are kept as
// bytes, unknown and user-defined record types are kept verbatim), so that
// Encode of a decoded transaction reproduces the input byte for byte.
// Transaction.Fix recomputes LEN and CNT after changes; Validate reports
// violations with record, field and byte offset.
//
// The XML encoding (NIEM, itl:NISTBiometricInformationExchangePackage, SP
// 500-290 Rev1 Annex C, 2008 schema namespace) is read by DecodeXML and written
// by EncodeXML; see xml.go for which fields have a NIEM element and how the
// others are carried.
//
// The typed view (Biographics, Fingers, Faces, Minutiae) gives what a node
// needs; Build makes a transaction as an enrolling station would.
package ansinist
