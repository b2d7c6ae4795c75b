export function renderDiagnosticsDoc(catalogue: Record<string, { meaning: string; fix: string }>): string;
export function generateDiagnosticsDoc(): Promise<string>;
