// Model infrastructure shared by the classifier and the candidate segmenter (see each file's header).
export * from './model-card.ts';
export * from './load-model.ts';
export * from './list-models.ts';
