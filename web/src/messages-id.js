// Indonesian for the modeler's messages the server does not send yet (api/web/views/analyst.py MODELER_TEXTS
// lists the ones it does); the server's translation wins when it has one.
export const MESSAGES_ID = {
  "The file had no layout: the modeler laid it out; check it before deploying.":
    "Berkas ini tidak memiliki tata letak: pemodel menatanya otomatis; periksa sebelum memasang.",
  ["“{name}” is not a BPMN XML file. Choose a .bpmn file saved from a BPMN modeler (such as Camunda Modeler or "
    + "“Download .bpmn” here); the diagram on the page is unchanged."]:
    "“{name}” bukan berkas BPMN XML. Pilih berkas .bpmn yang disimpan dari pemodel BPMN (misalnya Camunda Modeler "
    + "atau tombol “Unduh .bpmn” di sini); diagram di halaman ini tidak berubah.",
};
