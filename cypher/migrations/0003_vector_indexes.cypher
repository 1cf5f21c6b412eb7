// Sentence embeddings (all-MiniLM-L6-v2: 384 dimensions, compared by cosine) for semantic search
// and similar projects.
CREATE VECTOR INDEX project_embedding IF NOT EXISTS FOR (n:Project) ON n.embedding
OPTIONS {indexConfig: {`vector.dimensions`: 384, `vector.similarity_function`: 'cosine'}};
CREATE VECTOR INDEX artifact_embedding IF NOT EXISTS FOR (n:Artifact) ON n.embedding
OPTIONS {indexConfig: {`vector.dimensions`: 384, `vector.similarity_function`: 'cosine'}};
