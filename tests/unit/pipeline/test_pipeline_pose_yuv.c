/*
 * test_pipeline_pose_yuv.c - the MediaPipe agreement test of tests/unit/pose/test_blazepose_clips.c
 * on the analyze pipeline's input path: decoder pictures by reference, cropped straight from the
 * YUV 4:2:0 planes (pose_session_run_yuv), no whole-frame RGB conversion. Same clips, same
 * reference, same thresholds; the two tables side by side show what skipping RGB costs.
 */
#define CLIPS_YUV 1
#include "../pose/test_blazepose_clips.c"
