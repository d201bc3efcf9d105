// The forward pass's entry points (forward.cu), dispatched on the context's precision.
#pragma once

#include "context.cuh"

namespace tagood {

/// Enqueues the whole forward pass of a submitted slot on the compute stream: encoder, image_proj, every
/// head layer's keys and values, and the head over the probability columns (attention and probabilities).
void run_forward(tagood_cuda_context *c, Slot &slot);

/// RAM++'s tag queries of `images` images × `columns` columns into w.x (fp32 [images · columns, D], the
/// residual base: relu(wordvec_proj(mixed descriptions))) and w.q (T, layer 0's projected queries), from the
/// images' cls rows in w.cls (T [images, E]) and the columns' padded description groups `groups` (T
/// [columns, stride, E]): one product for every image's logits, the grouped softmax, one strided-batched
/// product over the columns for the mixes, then wordvec_proj and layer 0's query as [images · columns] products.
template <typename T>
void reweighted_queries(Gemm &gemm, cudaStream_t s, const Reweighting &r, HeadWork &w, int32_t images,
                        int32_t columns, const T *groups);

/// tags_fire on the aux stream: gathers the rows of the tags in fire_tag_index (`tags` of them) and the
/// keys and values of the images in fire_image_index (`images` of them); either count may be 0. RAM++
/// gathers the tags' description groups and the images' cls rows instead of the tags' queries.
void run_fire_gather(tagood_cuda_context *c, const Slot &slot, int32_t images, int32_t tags);

/// The head over the gathered rows, then fire_flags[i] = whether image i has a probability > threshold.
void run_fire_pass(tagood_cuda_context *c, int32_t images, int32_t tags, float threshold);

}  // namespace tagood
