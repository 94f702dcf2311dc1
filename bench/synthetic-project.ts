/** Synthetic wsgen projects: N modules × R routers, each router with its own request and data model. */
import { baseFiles } from "../tests/support/project.js";

export function syntheticProjectFiles(modules: number, routersPerModule = 4): Record<string, string> {
  const files: Record<string, string> = { ...baseFiles };
  for (let m = 1; m <= modules; m++) {
    const name = `module${m}`;
    const models: string[] = ['import { z } from "zod";', ""];
    const ws: string[] = ['import type { WsRouter } from "wsgen";'];
    const imports: string[] = [];
    const aliases: string[] = [];
    for (let r = 1; r <= routersPerModule; r++) {
      const request = `Feed${m}x${r}Request`;
      const data = `Feed${m}x${r}Update`;
      models.push(
        `export const ${request} = z.object({ symbol: z.string(), depth: z.number().int().default(10) });`,
        `export type ${request} = z.infer<typeof ${request}>;`,
        `export const ${data} = z.object({ symbol: z.string(), price: z.number(), size: z.number(), time: z.number() });`,
        `export type ${data} = z.infer<typeof ${data}>;`,
      );
      imports.push(request, data);
      aliases.push(`export type Feed${r}WsRouter = WsRouter<${request}, ${data}>;`);
    }
    ws.push(`import type { ${imports.join(", ")} } from "../../models/${name}.js";`, "", ...aliases, "");
    files[`src/models/${name}.ts`] = `${models.join("\n")}\n`;
    files[`src/modules/${name}/ws.ts`] = ws.join("\n");
  }
  return files;
}
