/** The custom editor contribution for .onnx files (checked against package.json by the manifest test). */
export const MODEL_SUMMARY_VIEW_TYPE = 'attnscope.modelSummary';

export function customEditorContributions(): { viewType: string; displayName: string; selector: { filenamePattern: string }[]; priority: string }[] {
  return [{ viewType: MODEL_SUMMARY_VIEW_TYPE, displayName: 'AttnScope Model Summary', selector: [{ filenamePattern: '*.onnx' }], priority: 'default' }];
}
