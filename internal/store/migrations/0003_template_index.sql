-- 0003: the gallery's pre-filter index entry of each finger template
-- (gallery.Index), sealed with the encounter's data key like the template
-- (AAD = template id + "/index"), so that loading the gallery need not
-- describe every template again. NULL for templates stored before this
-- migration and for faces: the entry is then computed at load.

ALTER TABLE templates ADD COLUMN index_sealed BLOB;
