/** The subset of a Hugging Face BertConfig (config.json) that a BertModel forward pass needs. */
export interface BertConfig {
  model_type: string;
  architectures?: string[];
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: string;
  max_position_embeddings: number;
  type_vocab_size: number;
  layer_norm_eps: number;
  pad_token_id?: number;
  [key: string]: unknown;
}
